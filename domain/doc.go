// Package domain holds the pure business rules of the OC Connect back office:
// CIN (Moroccan national identity card number) normalisation and masking,
// the password policy, the account lockout schedule, the age rule, the
// supported languages and input validation for e-mail addresses and names.
//
// The package performs no I/O (the common-password list is embedded in the
// binary) and has no dependency outside the standard library, so it can be
// used from HTTP handlers, workers and tests alike.
//
// Error values returned by this package never contain the offending input:
// a CIN, a password or an e-mail address must not end up in logs through an
// error message. Use [MaskCIN] and [MaskEmail] when an identifier has to be
// logged.
package domain

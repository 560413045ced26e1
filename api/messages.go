package api

import "occonnect/internal/i18n"

// message is a problem text (title.<code>, detail.<code>, field.<code>) in lang, from the
// API's catalog (internal/i18n/catalog/api); English is the fallback.
func message(lang, key string) string { return i18n.API.Text(lang, key) }

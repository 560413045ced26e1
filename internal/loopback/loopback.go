// Package loopback tells whether a host or a listen address stays on this machine: the
// exceptions of the fail-closed rules (an SMTP relay without TLS, a codec server without
// a token) are granted to loopback only.
package loopback

import (
	"net"
	"net/netip"
	"strings"
)

// Host reports whether host is localhost, an address of 127.0.0.0/8 or ::1 (IPv4-mapped
// included). Other names are not resolved: a name can point anywhere.
func Host(host string) bool {
	host = strings.TrimSuffix(strings.TrimSpace(host), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil && a.Unmap().IsLoopback()
}

// Addr reports whether a listen address host:port binds loopback only (":8081" and
// "0.0.0.0:8081" bind every interface).
func Addr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && Host(host)
}

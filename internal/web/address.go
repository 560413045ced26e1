package web

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP is the address of the client: the connection's peer, or, when the peer is a
// trusted proxy, the last address of X-Forwarded-For that is not a trusted proxy (the
// entries left of it were written by the client and prove nothing).
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	addr, _ := parseAddr(r.RemoteAddr)
	if !isTrusted(addr, trusted) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseAddr(hops[i])
		if !ok {
			break // not written by a trusted proxy: keep the last hop that was
		}
		addr = hop
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return addr
}

// BehindTLS says whether the client reached us over TLS: directly, or through a trusted
// proxy that says so in X-Forwarded-Proto.
func BehindTLS(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	addr, _ := parseAddr(r.RemoteAddr)
	if !isTrusted(addr, trusted) {
		return false
	}
	protos := strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https")
}

// parseAddr reads an address with or without a port ("192.0.2.1", "[2001:db8::1]:443").
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// IPKey is the limiter key of an address: IPv6 clients are counted per /64, the block a
// single subscriber usually holds.
func IPKey(a netip.Addr) string {
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

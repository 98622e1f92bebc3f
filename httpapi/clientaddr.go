package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/jeton/jeton/reqlog"
)

// TrustedProxies are the peers whose forwarding headers are believed
// (--trusted-proxies). The zero value trusts nobody: every request's client address is
// its TCP peer and X-Forwarded-For, X-Forwarded-Proto and Forwarded are ignored.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies reads CIDRs ("10.0.0.0/8", "::1/128"); a bare address is its own
// /32 or /128.
func ParseTrustedProxies(cidrs []string) (TrustedProxies, error) {
	var t TrustedProxies
	for _, s := range cidrs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return TrustedProxies{}, fmt.Errorf("trusted proxy %q: not a CIDR or address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		t.prefixes = append(t.prefixes, p.Masked())
	}
	return t, nil
}

func (t TrustedProxies) trusts(a netip.Addr) bool {
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the client address of r and whether the client reached the first
// trusted proxy over HTTPS. From an untrusted peer (or with no trusted proxies) it is
// the TCP peer, whatever the headers say. From a trusted peer it walks the forwarding
// chain from the right, the hop closest to this server, skipping trusted proxies: the
// first untrusted hop is the client (a client can prepend anything, but cannot forge
// what the proxies it passed through appended). The chain is Forwarded (RFC 7239 §4,
// its for= parameter per §5.2) or X-Forwarded-For. A hop that cannot be parsed (RFC
// 7239 §6.2 "unknown", an obfuscated §6.3 identifier, garbage) ends the walk: the last
// trusted hop is then the client, since nothing beyond it can be believed.
//
// When both headers are sent, each is walked. A proxy maintains one of them and passes
// the other through as the client sent it, so a client could otherwise name any
// address in the header its proxy does not set: when the two walks name different
// clients, neither is believed and the client is the peer (found by FuzzClientAddr).
// When they agree, Forwarded's proto decides.
func (t TrustedProxies) Resolve(r *http.Request) (addr netip.Addr, https bool) {
	peer := peerAddr(r.RemoteAddr)
	https = r.TLS != nil
	if len(t.prefixes) == 0 || !peer.IsValid() || !t.trusts(peer) {
		return peer, https
	}
	fw, xff := r.Header.Values("Forwarded"), r.Header.Values("X-Forwarded-For")
	if len(fw) == 0 {
		return t.walk(peer, parseXFF(xff), forwardedProto(r.Header.Values("X-Forwarded-Proto"), https))
	}
	addr, https = t.walk(peer, parseForwarded(fw), https)
	if len(xff) > 0 {
		if other, _ := t.walk(peer, parseXFF(xff), false); other != addr {
			return peer, r.TLS != nil
		}
	}
	return addr, https
}

// forwardedProto is X-Forwarded-Proto's answer, or https when it is absent. De facto
// set by the proxy the client reached; behind several proxies each may append, so the
// first value is that of the outermost.
func forwardedProto(xfp []string, https bool) bool {
	if len(xfp) == 0 {
		return https
	}
	first, _, _ := strings.Cut(xfp[0], ",")
	return strings.EqualFold(strings.TrimSpace(first), "https")
}

// walk returns the client of a chain that reached this server through peer (trusted),
// and the protocol the last believed hop was reached with (https when none says).
func (t TrustedProxies) walk(peer netip.Addr, hops []hop, https bool) (netip.Addr, bool) {
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		if !h.addr.IsValid() {
			break
		}
		addr = h.addr
		if h.proto != "" {
			https = strings.EqualFold(h.proto, "https")
		}
		if !t.trusts(h.addr) {
			break
		}
	}
	return addr, https
}

// hop is one element of a forwarding chain: the address a proxy saw and the
// protocol it was reached with ("" when not told).
type hop struct {
	addr  netip.Addr
	proto string
}

// parseXFF splits X-Forwarded-For (every field line, comma-separated, the rightmost
// appended last).
func parseXFF(lines []string) []hop {
	var hops []hop
	for _, l := range lines {
		for _, f := range strings.Split(l, ",") {
			hops = append(hops, hop{addr: parseNode(strings.TrimSpace(f))})
		}
	}
	return hops
}

// parseForwarded reads the for= and proto= parameters of each forwarded-element
// (RFC 7239 §4: elements are comma-separated, pairs semicolon-separated, values
// tokens or quoted strings). An element without for= is an unparsable hop.
func parseForwarded(lines []string) []hop {
	var hops []hop
	for _, l := range lines {
		for _, elem := range splitQuoted(l, ',') {
			var h hop
			for _, pair := range splitQuoted(elem, ';') {
				k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok {
					continue
				}
				v = strings.Trim(strings.TrimSpace(v), `"`)
				switch strings.ToLower(strings.TrimSpace(k)) {
				case "for":
					h.addr = parseNode(v)
				case "proto":
					h.proto = v
				}
			}
			hops = append(hops, h)
		}
	}
	return hops
}

// splitQuoted splits s at sep outside double quotes.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parseNode reads an address as X-Forwarded-For and RFC 7239 §6 node names write it:
// "192.0.2.1", "192.0.2.1:4711", "2001:db8::1", "[2001:db8::1]:4711". Anything else
// ("unknown", "_hidden", a name) is the invalid Addr.
func parseNode(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}

// peerAddr is the address of a "host:port" RemoteAddr (invalid in tests that set none).
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap().WithZone("")
}

// ClientAddr records every request's client address (and whether it came over HTTPS)
// in its reqlog.Info before any handler runs, so rate limits, the access log and audit
// all use the one address t resolves. Wrap it inside Middleware.
func ClientAddr(t TrustedProxies, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := reqlog.From(r.Context())
		info.ClientAddr, info.HTTPS = t.Resolve(r)
		next.ServeHTTP(w, r)
	})
}

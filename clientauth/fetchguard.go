package clientauth

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// A jwks_uri is a URL a client chose, fetched by jeton from inside its own network:
// without a guard it reaches jeton's admin listener, the database, other internal
// services and the cloud metadata endpoint (server-side request forgery). So jeton
// connects only to public addresses, checked on the address actually dialled after
// DNS resolution (net.Dialer.Control), so that a name which resolves to a public
// address when registered and to 127.0.0.1 when fetched (DNS rebinding) is refused
// too. Operators allow named hosts for test setups (KeysConfig.AllowHosts).

// nonPublic are the ranges, beyond what netip's predicates cover, that are not
// reachable public unicast destinations: RFC 6890's special-purpose registries, among
// them the metadata addresses of clouds that sit outside link-local (Alibaba's
// 100.100.100.200, Oracle's 192.0.0.192).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network" (RFC 791)
	netip.MustParsePrefix("100.64.0.0/10"), // shared address space (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments (RFC 6890)
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking (RFC 2544)
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and the limited broadcast
	netip.MustParsePrefix("fec0::/10"),     // deprecated site-local (RFC 3879)
}

// nat64 is the well-known NAT64 prefix (RFC 6052 §2.1): its addresses reach the IPv4
// address in their last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// PublicAddr reports whether a may be fetched from: not unspecified, loopback,
// private (RFC 1918, RFC 4193 fc00::/7), link-local (169.254/16 with the cloud
// metadata address, fe80::/10), multicast or another special-purpose range, also when
// written as an IPv4-mapped or NAT64 IPv6 address.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case !a.IsValid(), a.IsUnspecified(), a.IsLoopback(), a.IsPrivate(), a.IsLinkLocalUnicast(),
		a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// HostAllowed reports whether host (a URL's host name or IP literal) is on the
// operator's allow list; names compare case-insensitively and without a trailing dot,
// IP literals by value.
func HostAllowed(allow []string, host string) bool {
	norm := func(h string) string {
		h = strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
		if ip, err := netip.ParseAddr(h); err == nil {
			return ip.Unmap().String()
		}
		return h
	}
	host = norm(host)
	for _, h := range allow {
		if norm(h) == host {
			return true
		}
	}
	return false
}

// refuseNonPublic is a net.Dialer Control: it runs for every address the dialer is
// about to connect to, after resolution.
func refuseNonPublic(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("jwks_uri: cannot check address %q", address)
	}
	if !PublicAddr(ap.Addr()) {
		return fmt.Errorf("jwks_uri: %s is not a public address (loopback, private, link-local or metadata); allow the host with --jwks-allow-hosts", ap.Addr())
	}
	return nil
}

// guardedHTTP is the default jwks_uri client: a bounded time, no redirects (a key set
// must be where it was registered), no HTTP proxy (the proxy would choose the
// destination, out of reach of the check), and every dial checked by refuseNonPublic
// unless the URL's host is allowed.
func guardedHTTP(allow []string, resolver *net.Resolver) *http.Client {
	checked := &net.Dialer{Timeout: DefaultJWKSTimeout, Resolver: resolver, Control: refuseNonPublic}
	open := &net.Dialer{Timeout: DefaultJWKSTimeout, Resolver: resolver}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err == nil && HostAllowed(allow, host) {
			return open.DialContext(ctx, network, addr)
		}
		return checked.DialContext(ctx, network, addr)
	}
	return &http.Client{
		Timeout: DefaultJWKSTimeout,
		Transport: &http.Transport{
			Proxy: nil, DialContext: dial, ForceAttemptHTTP2: true,
			MaxIdleConns: 100, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: DefaultJWKSTimeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

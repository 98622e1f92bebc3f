package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// fuzzProxies are the trusted proxies of the fuzz targets below.
var fuzzProxies = []string{"10.0.0.0/8", "192.0.2.1", "2001:db8:1::/48", "127.0.0.1"}

// FuzzParseTrustedProxies: --trusted-proxies either is refused or gives masked
// prefixes (a bare address its own /32 or /128) that, written out and read again, are
// the same prefixes.
func FuzzParseTrustedProxies(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8,192.0.2.1", "::ffff:10.0.0.1", "10.1.2.3/8", "fe80::1%eth0", " ", "10.0.0.0/33", "2001:db8::/129", "example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		tp, err := ParseTrustedProxies(strings.Split(list, ","))
		if err != nil {
			return
		}
		var text []string
		for _, p := range tp.prefixes {
			if p != p.Masked() || !p.IsValid() {
				t.Fatalf("%q gave unmasked prefix %v", list, p)
			}
			text = append(text, p.String())
		}
		again, err := ParseTrustedProxies(text)
		if err != nil || !slices.Equal(again.prefixes, tp.prefixes) {
			t.Fatalf("%q gave %v; written out and read again %v (%v)", list, tp.prefixes, again.prefixes, err)
		}
	})
}

// resolve is Resolve of a request from remote with the given header lines.
func resolve(tp TrustedProxies, remote string, headers map[string][]string) (netip.Addr, bool) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = remote
	for name, lines := range headers {
		if len(lines) > 0 {
			r.Header[name] = lines
		}
	}
	return tp.Resolve(r)
}

// FuzzClientAddr: the client address of a request (RFC 7239, X-Forwarded-For) is the
// TCP peer unless the peer is a trusted proxy; it is a plain address (no zone, no
// IPv4-mapped form); and whatever a client adds in front of what its proxies forwarded
// — a header line of either kind, sent before the proxies' lines — the address is the
// same or a trusted proxy's, never another address the client chose.
func FuzzClientAddr(f *testing.F) {
	f.Add("10.0.0.2:5000", "", "198.51.100.7", "https", "for=6.6.6.6", true)
	f.Add("10.0.0.2:5000", "for=198.51.100.7;proto=https", "", "", "6.6.6.6", false)
	f.Add("10.0.0.2:5000", "", "1.2.3.4, 198.51.100.7, 10.0.0.3", "", "6.6.6.6", false)
	f.Add("192.0.2.1:443", `for="[2001:db8:cafe::17]:4711", for=10.0.0.3`, "", "", `for="6.6.6.6`, true)
	f.Add("203.0.113.9:1", "for=198.51.100.8", "198.51.100.7", "https", "for=6.6.6.6", true)
	f.Add("[2001:db8:1::5]:80", "", "fe80::1%eth0, ::ffff:198.51.100.7", "", "", false)
	f.Add("not an address", "for=1.2.3.4", "5.6.7.8", "", "", true)
	tp, err := ParseTrustedProxies(fuzzProxies)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, remote, fw, xff, xfp, injected string, asForwarded bool) {
		lines := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, "\n")
		}
		headers := map[string][]string{"Forwarded": lines(fw), "X-Forwarded-For": lines(xff), "X-Forwarded-Proto": lines(xfp)}
		addr, https := resolve(tp, remote, headers)
		peer := peerAddr(remote)
		if !peer.IsValid() || !tp.trusts(peer) {
			if addr != peer || https {
				t.Fatalf("from untrusted peer %q: %v https=%v", remote, addr, https)
			}
			return
		}
		if addr.Zone() != "" || addr.Is4In6() || !addr.IsValid() {
			t.Fatalf("client address %v", addr)
		}
		if tp.trusts(addr) {
			return // the chain names no client beyond the proxies: nothing to protect
		}
		name := "X-Forwarded-For"
		if asForwarded {
			name = "Forwarded"
		}
		spoofed := map[string][]string{}
		for k, v := range headers {
			spoofed[k] = v
		}
		spoofed[name] = append([]string{injected}, headers[name]...)
		got, _ := resolve(tp, remote, spoofed)
		if got != addr && !tp.trusts(got) {
			t.Fatalf("client address %v; with %s: %q sent before the proxies' lines it is %v", addr, name, injected, got)
		}
	})
}

package clientauth_test

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

// fakeDNS is a UDP DNS server on loopback that answers every A query with 127.0.0.1
// and every other query with no records: a public-looking name that points at the
// machine itself, as an attacker's DNS would.
func fakeDNS(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if ans := dnsAnswer(buf[:n]); ans != nil {
				_, _ = pc.WriteTo(ans, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// dnsAnswer builds the reply to a one-question query (RFC 1035 §4.1).
func dnsAnswer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	end := 12
	for end < len(q) && q[end] != 0 {
		end += int(q[end]) + 1
	}
	end += 5 // root label, QTYPE, QCLASS
	if end > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[end-4:])
	out := append([]byte{}, q[:end]...)
	out[2], out[3] = 0x81, 0x80             // response, recursion desired and available
	binary.BigEndian.PutUint16(out[8:], 0)  // NSCOUNT
	binary.BigEndian.PutUint16(out[10:], 0) // ARCOUNT (drops an EDNS record)
	if qtype != 1 {
		binary.BigEndian.PutUint16(out[6:], 0) // no records
		return out
	}
	binary.BigEndian.PutUint16(out[6:], 1)
	return append(out, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
}

// TestJWKSURIResolvingToLoopbackRefused: a jwks_uri whose name resolves to loopback is
// not fetched (the check is on the address dialled, so no DNS trick gets round it),
// unless the operator allowed the host.
func TestJWKSURIResolvingToLoopbackRefused(t *testing.T) {
	testKeys(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(jwksOf(t, "k1", ecA.Public())))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	uri := "http://keys.partner.example:" + u.Port() + "/jwks.json"
	c := &jeton.Client{ID: "c", AuthMethod: jeton.AuthPrivateKey, JWKSURI: uri}
	res := fakeDNS(t)

	_, err := clientauth.NewKeys(clientauth.KeysConfig{Resolver: res}).ClientKeys(t.Context(), c, false)
	if err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Fatalf("fetch of a name resolving to 127.0.0.1: %v; want a refusal", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the loopback server was contacted")
	}
	keys, err := clientauth.NewKeys(clientauth.KeysConfig{Resolver: res, AllowHosts: []string{"Keys.Partner.Example"}}).ClientKeys(t.Context(), c, false)
	if err != nil || len(keys) != 1 || hits.Load() != 1 {
		t.Fatalf("allowed host: %d keys, %v, %d hits", len(keys), err, hits.Load())
	}
}

// TestJWKSURINonPublicAddressesRefused: every non-public destination is refused
// before a connection is made.
func TestJWKSURINonPublicAddressesRefused(t *testing.T) {
	k := clientauth.NewKeys(clientauth.KeysConfig{})
	for _, host := range []string{"127.0.0.1", "127.9.9.9", "[::1]", "10.1.2.3", "172.16.0.1", "192.168.1.1",
		"169.254.169.254", "100.100.100.200", "192.0.0.192", "0.0.0.0", "[::]", "[fc00::1]", "[fd00:ec2::254]",
		"[fe80::1]", "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "[64:ff9b::a9fe:a9fe]", "224.0.0.1", "255.255.255.255"} {
		c := &jeton.Client{ID: "c-" + host, AuthMethod: jeton.AuthPrivateKey, JWKSURI: "https://" + host + "/jwks.json"}
		if _, err := k.ClientKeys(t.Context(), c, false); err == nil || !strings.Contains(err.Error(), "not a public address") {
			t.Errorf("%s: %v; want a refusal", host, err)
		}
	}
	for _, ip := range []string{"8.8.8.8", "2606:4700::1111", "172.32.0.1", "100.128.0.1"} {
		if !clientauth.PublicAddr(netip.MustParseAddr(ip)) {
			t.Errorf("%s is public", ip)
		}
	}
}

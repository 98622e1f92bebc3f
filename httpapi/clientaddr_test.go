package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestResolveClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"10.0.0.0/8", "192.0.2.1", "2001:db8:1::/48"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		proxies   TrustedProxies
		peer      string
		headers   map[string][]string
		want      string
		wantHTTPS bool
	}{
		{"no proxies trusted: headers ignored", TrustedProxies{}, "10.1.1.1:5000",
			map[string][]string{"X-Forwarded-For": {"198.51.100.7"}, "X-Forwarded-Proto": {"https"}}, "10.1.1.1", false},
		{"untrusted peer: spoofed headers ignored", trusted, "203.0.113.9:5000",
			map[string][]string{"X-Forwarded-For": {"198.51.100.7"}, "Forwarded": {"for=198.51.100.8;proto=https"}}, "203.0.113.9", false},
		{"trusted peer: last hop", trusted, "10.0.0.2:5000",
			map[string][]string{"X-Forwarded-For": {"198.51.100.7"}, "X-Forwarded-Proto": {"https"}}, "198.51.100.7", true},
		{"client-prepended values are skipped: rightmost untrusted wins", trusted, "10.0.0.2:5000",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 198.51.100.7, 10.0.0.3"}}, "198.51.100.7", false},
		{"several header lines are one list", trusted, "10.0.0.2:5000",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4", "198.51.100.7"}}, "198.51.100.7", false},
		{"all hops trusted: the leftmost", trusted, "10.0.0.2:5000",
			map[string][]string{"X-Forwarded-For": {"10.9.9.9, 10.0.0.3"}}, "10.9.9.9", false},
		{"garbage ends the walk at the last trusted hop", trusted, "10.0.0.2:5000",
			map[string][]string{"X-Forwarded-For": {"198.51.100.7, nonsense, 10.0.0.3"}}, "10.0.0.3", false},
		{"port and IPv4-mapped forms", trusted, "192.0.2.1:443",
			map[string][]string{"X-Forwarded-For": {"[::ffff:198.51.100.7]:1234"}}, "198.51.100.7", false},
		{"Forwarded alone", trusted, "10.0.0.2:5000",
			map[string][]string{"Forwarded": {`for=1.2.3.4, for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.3;proto=http`}}, "2001:db8:cafe::17", true},
		{"both headers agree: Forwarded's proto", trusted, "10.0.0.2:5000",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1, 10.0.0.3"}, "X-Forwarded-Proto": {"http"},
				"Forwarded": {"for=198.51.100.1;proto=https, for=10.0.0.3"}}, "198.51.100.1", true},
		{"both headers name different clients: neither is believed", trusted, "10.0.0.2:5000",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}, "X-Forwarded-Proto": {"https"},
				"Forwarded": {`for=1.2.3.4;proto=https`}}, "10.0.0.2", false},
		{"Forwarded for=unknown is no address", trusted, "10.0.0.2:5000",
			map[string][]string{"Forwarded": {"for=unknown"}}, "10.0.0.2", false},
		{"Forwarded quoted comma does not split", trusted, "10.0.0.2:5000",
			map[string][]string{"Forwarded": {`for=198.51.100.3;by="a,b"`}}, "198.51.100.3", false},
		{"IPv6 peer in a trusted block", trusted, "[2001:db8:1::5]:80",
			map[string][]string{"X-Forwarded-For": {"2001:db8:2::9"}}, "2001:db8:2::9", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			for k, vs := range tt.headers {
				r.Header[k] = vs
			}
			got, https := tt.proxies.Resolve(r)
			if got.String() != tt.want || https != tt.wantHTTPS {
				t.Errorf("Resolve = %s https=%v, want %s https=%v", got, https, tt.want, tt.wantHTTPS)
			}
		})
	}
}

func TestParseTrustedProxiesRefusesGarbage(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0"} {
		if _, err := ParseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The access log carries the resolved client address.
func TestAccessLogHasClientAddr(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	trusted, _ := ParseTrustedProxies([]string{"127.0.0.1/32"})
	h := New(Config{Logger: logger, TrustedProxies: trusted, Ready: func(ctx context.Context) error { return nil }})
	r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	r.RemoteAddr = "127.0.0.1:4000"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !strings.Contains(buf.String(), `"client_addr":"198.51.100.7"`) {
		t.Fatalf("log line without the client address: %s", buf.String())
	}
}

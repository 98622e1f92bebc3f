package wire_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/wire"
)

func TestBodyLimit(t *testing.T) {
	for _, tt := range []struct {
		name     string
		size     int
		declared bool
		wantErr  bool
	}{
		{"at the limit", 16, true, false},
		{"declared over", 17, true, true},
		{"over, undeclared", 17, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("a", tt.size)))
			if !tt.declared {
				r.ContentLength = -1 // chunked: only reading finds out
			}
			_, err := wire.NewBody(r, 16).Read()
			var e *jeton.Error
			switch {
			case !tt.wantErr && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr && (!errors.As(err, &e) || e.Reason != jeton.ReasonBodyTooLarge || e.Status != http.StatusRequestEntityTooLarge):
				t.Fatalf("err = %v, want a 413 body_too_large", err)
			}
		})
	}
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
func TestParseBasicUnescapes(t *testing.T) {
	h := "Basic " + base64.StdEncoding.EncodeToString([]byte("my%3Aclient:p%40ss+word"))
	id, secret, err := wire.ParseBasic(h)
	if err != nil || id != "my:client" || secret != "p@ss word" {
		t.Fatalf("got %q %q %v", id, secret, err)
	}
	for _, bad := range []string{"Bearer x", "Basic !!!", "Basic " + base64.StdEncoding.EncodeToString([]byte("nocolon")),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("%zz:s")), "Basic " + base64.StdEncoding.EncodeToString([]byte("c:%01"))} {
		if _, _, err := wire.ParseBasic(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestCredentialsCarryTLSChain: the chain a client presented in the handshake goes
// with the credentials of every endpoint that reads them with Credentials
// (token, introspection, revocation, PAR).
func TestCredentialsCarryTLSChain(t *testing.T) {
	leaf := &x509.Certificate{Raw: []byte("leaf")}
	r := httptest.NewRequest(http.MethodPost, "/token", nil)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
	cred, err := wire.Credentials(r, map[string]string{"client_id": "c", "client_secret": "s"})
	if err != nil || len(cred.TLSChain) != 1 || cred.TLSChain[0] != leaf {
		t.Fatalf("got %v, %v", cred.TLSChain, err)
	}
	r.TLS = &tls.ConnectionState{}
	if cred, _ := wire.Credentials(r, map[string]string{"client_id": "c"}); cred.TLSChain != nil {
		t.Fatalf("no certificate presented, got %v", cred.TLSChain)
	}
}

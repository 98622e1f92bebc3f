package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// jwksServer serves key's public JWK Set on loopback and counts the fetches.
func jwksServer(t *testing.T, key *ecdsa.PrivateKey) (string, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Use: "sig"}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write(set)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/jwks.json", &hits
}

// TestJWKSURIGuardEndToEnd: serve refuses a jwks_uri naming loopback at registration
// and does not fetch one that reaches loopback by name; --jwks-allow-hosts lets a
// test setup use a key set on 127.0.0.1.
func TestJWKSURIGuardEndToEnd(t *testing.T) {
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	uri, hits := jwksServer(t, key)
	tokenStatus := func(s *liveServer, c adminapi.CreatedClient) int {
		m := matrixClient{CreatedClient: c, method: jeton.AuthPrivateKey, key: key}
		st, _ := m.post(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}})
		return st
	}
	in := adminapi.ClientInput{Name: "jwks", AuthMethod: jeton.AuthPrivateKey, JWKSURI: uri, Scopes: []string{"accounts:read"}}

	s := startServer(t)
	inst, err := s.admin.CreateInstitution(ctx, "Bank")
	if err != nil {
		t.Fatal(err)
	}
	in.InstitutionID = inst.ID
	if _, err := s.admin.CreateClient(ctx, in); err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Fatalf("jwks_uri on 127.0.0.1 registered without --jwks-allow-hosts: %v", err)
	}
	// A name that resolves to loopback passes no registration check; the fetch refuses it.
	c := s.newClient(t, adminapi.ClientInput{InstitutionID: inst.ID, Name: "by-name", Scopes: []string{"accounts:read"}})
	stored, err := s.app.store.GetClient(ctx, c.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	stored.AuthMethod, stored.JWKSURI = jeton.AuthPrivateKey, strings.Replace(uri, "127.0.0.1", "localhost", 1)
	if err := s.app.store.UpdateClient(ctx, stored); err != nil {
		t.Fatal(err)
	}
	s.app.cache.Invalidate(c.ClientID)
	if st := tokenStatus(s, c); st != http.StatusUnauthorized || hits.Load() != 0 {
		t.Fatalf("jwks_uri via localhost: HTTP %d, %d fetches; want 401 and none", st, hits.Load())
	}

	allowed := startServer(t, "--jwks-allow-hosts", "127.0.0.1")
	inst, err = allowed.admin.CreateInstitution(ctx, "Bank")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := allowed.admin.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "jwks",
		AuthMethod: jeton.AuthPrivateKey, JWKSURI: uri, Scopes: []string{"accounts:read"}})
	if err != nil {
		t.Fatalf("allowed jwks_uri: %v", err)
	}
	if st := tokenStatus(allowed, c2); st != http.StatusOK || hits.Load() != 1 {
		t.Fatalf("allowed jwks_uri: HTTP %d, %d fetches", st, hits.Load())
	}
}

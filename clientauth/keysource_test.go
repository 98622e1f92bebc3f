package clientauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

func TestKeysFromJWKSURICacheAndRefetch(t *testing.T) {
	testKeys(t)
	var hits atomic.Int32
	var body atomic.Pointer[string]
	set := jwksOf(t, "k1", ecA.Public())
	body.Store(&set)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(*body.Load()))
	}))
	defer srv.Close()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	k := clientauth.NewKeys(clientauth.KeysConfig{Now: func() time.Time { return now }, AllowHosts: []string{"127.0.0.1"}})
	c := &jeton.Client{ID: "c", AuthMethod: jeton.AuthPrivateKey, JWKSURI: srv.URL}
	ctx := context.Background()
	get := func(refresh bool) []string {
		t.Helper()
		keys, err := k.ClientKeys(ctx, c, refresh)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, key := range keys {
			ids = append(ids, key.KeyID)
		}
		return ids
	}
	if ids := get(false); len(ids) != 1 || ids[0] != "k1" || hits.Load() != 1 {
		t.Fatalf("first fetch: %v, %d hits", ids, hits.Load())
	}
	rotated := jwksOf(t, "k2", ecOther.Public())
	body.Store(&rotated)
	now = now.Add(4 * time.Minute)
	if ids := get(false); ids[0] != "k1" || hits.Load() != 1 {
		t.Fatalf("within 5 min: %v, %d hits; want the cached set", ids, hits.Load())
	}
	// An unknown kid refetches at once (last fetch was 4 min ago)...
	if ids := get(true); ids[0] != "k2" || hits.Load() != 2 {
		t.Fatalf("refresh: %v, %d hits", ids, hits.Load())
	}
	// ...but at most once per 30 s.
	now = now.Add(29 * time.Second)
	get(true)
	if hits.Load() != 2 {
		t.Fatalf("second refresh within 30 s fetched again (%d hits)", hits.Load())
	}
	now = now.Add(time.Second)
	get(true)
	if hits.Load() != 3 {
		t.Fatalf("refresh after 30 s did not fetch (%d hits)", hits.Load())
	}
	// Expiry after 5 minutes.
	now = now.Add(5 * time.Minute)
	get(false)
	if hits.Load() != 4 {
		t.Fatalf("after the TTL no fetch (%d hits)", hits.Load())
	}
}

func TestKeysFromJWKSURIRefusals(t *testing.T) {
	testKeys(t)
	ok := jwksOf(t, "k1", ecA.Public())
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }},
		{"redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }},
		{"over 64 KiB", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(ok[:len(ok)-1] + `,"pad":"` + strings.Repeat("x", 64<<10) + `"}`))
		}},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>")) }},
		{"only a weak key", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(jwksOf(t, "w", rsa1k.Public()))) }},
		{"only an encryption key", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(strings.Replace(ok, `"use":"sig"`, `"use":"enc"`, 1)))
		}},
		{"private key", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(jwksOf(t, "p", edA))) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			k := clientauth.NewKeys(clientauth.KeysConfig{AllowHosts: []string{"127.0.0.1"}})
			keys, err := k.ClientKeys(context.Background(), &jeton.Client{ID: "c", JWKSURI: srv.URL}, false)
			if err == nil {
				t.Fatalf("got %d keys; want an error", len(keys))
			}
		})
	}
	t.Run("slow server times out", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		k := clientauth.NewKeys(clientauth.KeysConfig{HTTP: &http.Client{Timeout: 200 * time.Millisecond}})
		start := time.Now()
		if _, err := k.ClientKeys(context.Background(), &jeton.Client{ID: "c", JWKSURI: srv.URL}, false); err == nil {
			t.Fatal("no error from a server that never answers")
		}
		if time.Since(start) > 3*time.Second {
			t.Fatal("the fetch was not bounded by the client timeout")
		}
	})
}

func TestRegisteredKeysParsedOncePerVersion(t *testing.T) {
	testKeys(t)
	k := clientauth.NewKeys(clientauth.KeysConfig{MaxClients: 2})
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &jeton.Client{ID: "c", PublicKeys: []jeton.ClientKey{pemKey(t, ecA.Public())}, UpdatedAt: t0}
	first, err := k.ClientKeys(context.Background(), c, false)
	if err != nil || len(first) != 1 {
		t.Fatalf("%v, %v", first, err)
	}
	// Same version: served from the cache even if the row in hand differs.
	stale := *c
	stale.PublicKeys = []jeton.ClientKey{pemKey(t, ecOther.Public())}
	again, _ := k.ClientKeys(context.Background(), &stale, false)
	if again[0].KeyID != first[0].KeyID {
		t.Fatal("same UpdatedAt parsed again")
	}
	// A new version is parsed afresh.
	stale.UpdatedAt = t0.Add(time.Second)
	next, _ := k.ClientKeys(context.Background(), &stale, false)
	if next[0].KeyID == first[0].KeyID {
		t.Fatal("a changed client kept its old keys")
	}
	// The bound holds: more clients than MaxClients still work.
	for _, id := range []string{"d", "e", "f"} {
		if _, err := k.ClientKeys(context.Background(), &jeton.Client{ID: id, PublicKeys: c.PublicKeys}, false); err != nil {
			t.Fatal(err)
		}
	}
}

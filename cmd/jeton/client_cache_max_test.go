package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jeton/jeton/adminapi"
)

// --client-cache-max bounds the clients the token endpoint keeps in memory: with a
// TTL long enough that nothing expires, five clients' tokens leave at most three
// cached, and every one of them still gets its token.
func TestClientCacheMax(t *testing.T) {
	s := startServer(t, "--client-cache-max", "3", "--client-cache-ttl", "1h")
	for i := range 5 {
		c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
		if issueToken(t, s.public, c) == "" {
			t.Fatalf("client %d got no token", i)
		}
		if n := s.app.cache.Len(); n > 3 {
			t.Fatalf("after %d clients the cache holds %d, bound 3", i+1, n)
		}
	}
}

// A bound of zero or less, and a negative janitor pause, are refused at start.
func TestServeRefusesBadCacheAndJanitorSettings(t *testing.T) {
	for _, args := range [][]string{
		{"--client-cache-max", "0"}, {"--client-cache-max", "-5"}, {"--janitor-pause", "-1s"},
	} {
		cfg := testServeConfig(t, t.TempDir(), args...)
		a, err := startApp(context.Background(), cfg, discardLogger(t))
		if err == nil {
			a.close()
			t.Fatalf("%v was accepted", args)
		}
		if !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: the error does not name the flag: %v", args, err)
		}
	}
}

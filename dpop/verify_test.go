package dpop_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/dpop/dpoptest"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/sqlite"
)

const tokenURI = "https://as.example/oauth2/token"

// replicas returns two stores on one database, as two replicas of a deployment see
// it: SQLite (two handles on one file) and PostgreSQL (two pools on one database).
func replicas(t *testing.T) map[string][2]jeton.AssertionStore {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "jeton.db")
	var lite [2]jeton.AssertionStore
	for i := range lite {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		lite[i] = s
	}
	dsn := pgtest.NewDatabase(t)
	var pg [2]jeton.AssertionStore
	for i := range pg {
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		pg[i] = s
	}
	return map[string][2]jeton.AssertionStore{"sqlite": lite, "postgres": pg}
}

func verifier(store jeton.AssertionStore, now time.Time) *dpop.Verifier {
	return &dpop.Verifier{Replay: store, Now: func() time.Time { return now }}
}

// verify runs v on one proof and waits for its record.
func verify(v *dpop.Verifier, proof string, r dpop.Request) (*dpop.Proof, error) {
	r.Proofs = []string{proof}
	if r.Method == "" {
		r.Method, r.URI = "POST", tokenURI
	}
	p, err := v.Verify(context.Background(), r)
	if err != nil {
		return nil, err
	}
	return p, p.Wait()
}

func wantCode(t *testing.T, what string, err error, code jeton.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted, want %s", what, code)
	}
	if got := jeton.AsError(err).Code; got != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

// TestVerifyRefusals: every check of RFC 9449 §4.3 refuses what breaks it, with
// invalid_dpop_proof, and records nothing for a refused proof.
func TestVerifyRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	stores := replicas(t)
	key, other := dpoptest.NewKey(t), dpoptest.NewKey(t)
	cases := []struct {
		name  string
		proof func() string
		req   dpop.Request
	}{
		{"wrong htm", func() string { return key.New("GET", tokenURI, now).Sign(t) }, dpop.Request{}},
		{"wrong htu path", func() string { return key.New("POST", "https://as.example/oauth2/par", now).Sign(t) }, dpop.Request{}},
		{"wrong htu host", func() string { return key.New("POST", "https://evil.example/oauth2/token", now).Sign(t) }, dpop.Request{}},
		{"htu not a URI", func() string { return key.New("POST", "/oauth2/token", now).Sign(t) }, dpop.Request{}},
		{"stale iat", func() string { return key.New("POST", tokenURI, now.Add(-2*time.Minute)).Sign(t) }, dpop.Request{}},
		{"future iat", func() string { return key.New("POST", tokenURI, now.Add(time.Minute)).Sign(t) }, dpop.Request{}},
		{"alg none", func() string { p := key.New("POST", tokenURI, now); p.Alg = "none"; return p.Sign(t) }, dpop.Request{}},
		{"alg HS256", func() string { p := key.New("POST", tokenURI, now); p.Alg = "HS256"; return p.Sign(t) }, dpop.Request{}},
		{"private key in jwk", func() string { return key.New("POST", tokenURI, now).WithPrivateJWK(key).Sign(t) }, dpop.Request{}},
		{"signed by another key", func() string {
			p := key.New("POST", tokenURI, now)
			p.SignWith = other.Private
			return p.Sign(t)
		}, dpop.Request{}},
		{"typ JWT", func() string { p := key.New("POST", tokenURI, now); p.Header["typ"] = "JWT"; return p.Sign(t) }, dpop.Request{}},
		{"no jwk", func() string { p := key.New("POST", tokenURI, now); delete(p.Header, "jwk"); return p.Sign(t) }, dpop.Request{}},
		{"no jti", func() string { p := key.New("POST", tokenURI, now); delete(p.Claims, "jti"); return p.Sign(t) }, dpop.Request{}},
		{"no iat", func() string { p := key.New("POST", tokenURI, now); delete(p.Claims, "iat"); return p.Sign(t) }, dpop.Request{}},
		{"iat a string", func() string { p := key.New("POST", tokenURI, now); p.Claims["iat"] = "1800000000"; return p.Sign(t) }, dpop.Request{}},
		{"oversized", func() string { return strings.Repeat("a", dpop.MaxProofBytes+1) }, dpop.Request{}},
		{"not a JWS", func() string { return "not.a.jws" }, dpop.Request{}},
		{"missing ath", func() string { return key.New("GET", "https://as.example/oauth2/userinfo", now).Sign(t) },
			dpop.Request{Method: "GET", URI: "https://as.example/oauth2/userinfo", AccessToken: "at"}},
		{"ath of another token", func() string {
			return key.New("GET", "https://as.example/oauth2/userinfo", now).ATH("other").Sign(t)
		}, dpop.Request{Method: "GET", URI: "https://as.example/oauth2/userinfo", AccessToken: "at"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			proof := c.proof()
			v := verifier(stores["sqlite"][0], now)
			_, err := verify(v, proof, c.req)
			wantCode(t, c.name, err, jeton.CodeInvalidDPoPProof)
		})
	}
	t.Run("two headers", func(t *testing.T) {
		p := key.New("POST", tokenURI, now).Sign(t)
		_, err := verifier(stores["sqlite"][0], now).Verify(t.Context(), dpop.Request{Proofs: []string{p, p}, Method: "POST", URI: tokenURI})
		wantCode(t, "two headers", err, jeton.CodeInvalidDPoPProof)
	})
}

// TestVerifyAccepts: a good proof passes and names its key's thumbprint; htu is
// compared after RFC 3986 normalisation and without query and fragment (§4.3).
func TestVerifyAccepts(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	store := replicas(t)["sqlite"][0]
	key := dpoptest.NewKey(t)
	for _, htu := range []string{tokenURI, "HTTPS://AS.example:443/oauth2/token", "https://as.example/oauth2/./token?x=1#f", "https://as.example/oauth2/%74oken"} {
		p, err := verify(verifier(store, now), key.New("POST", htu, now.Add(-30*time.Second)).Sign(t), dpop.Request{})
		if err != nil {
			t.Fatalf("htu %q: %v", htu, err)
		}
		if p.JKT != key.JKT(t) {
			t.Fatalf("jkt %q, want %q", p.JKT, key.JKT(t))
		}
	}
	uri := "https://as.example/oauth2/userinfo"
	if _, err := verify(verifier(store, now), key.New("GET", uri, now).ATH("at").Sign(t), dpop.Request{Method: "GET", URI: uri, AccessToken: "at"}); err != nil {
		t.Fatalf("ath: %v", err)
	}
	if p, err := verifier(store, now).Verify(t.Context(), dpop.Request{Method: "POST", URI: tokenURI}); p != nil || err != nil {
		t.Fatalf("no proof: %v %v, want nothing", p, err)
	}
}

// TestReplay: a proof is single-use on the replica that saw it and on any other (one
// atomic store call), on both stores.
func TestReplay(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for name, pair := range replicas(t) {
		t.Run(name, func(t *testing.T) {
			key := dpoptest.NewKey(t)
			proof := key.New("POST", tokenURI, now).Sign(t)
			if _, err := verify(verifier(pair[0], now), proof, dpop.Request{}); err != nil {
				t.Fatal(err)
			}
			_, err := verify(verifier(pair[0], now.Add(time.Second)), proof, dpop.Request{})
			wantCode(t, "replay, same replica", err, jeton.CodeInvalidDPoPProof)
			_, err = verify(verifier(pair[1], now.Add(2*time.Second)), proof, dpop.Request{})
			wantCode(t, "replay, other replica", err, jeton.CodeInvalidDPoPProof)
			// Another key may use the same jti: the record is per key.
			p := dpoptest.NewKey(t).New("POST", tokenURI, now)
			p.Claims["jti"] = key.New("POST", tokenURI, now).Claims["jti"]
			if _, err := verify(verifier(pair[1], now), p.Sign(t), dpop.Request{}); err != nil {
				t.Fatalf("another key's proof: %v", err)
			}
		})
	}
}

// TestReplayRace: N verifiers of one proof at once, half on each replica: exactly
// one passes (the jti's record is one atomic store call).
func TestReplayRace(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for name, pair := range replicas(t) {
		t.Run(name, func(t *testing.T) {
			proof := dpoptest.NewKey(t).New("POST", tokenURI, now).Sign(t)
			const n = 40
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					_, errs[i] = verify(verifier(pair[i%2], now), proof, dpop.Request{})
				})
			}
			close(start)
			wg.Wait()
			won := 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case jeton.AsError(err).Code != jeton.CodeInvalidDPoPProof:
					t.Errorf("racer %d: %v", i, err)
				}
			}
			if won != 1 {
				t.Fatalf("%d racers passed, want 1", won)
			}
		})
	}
}

// TestNonces: with nonces required, a proof without one, with a forged one or with
// one two windows old is use_dpop_nonce; the current and the previous window's pass,
// on any replica (same key, no store).
func TestNonces(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	store := replicas(t)["sqlite"][0]
	key := dpoptest.NewKey(t)
	kek := make([]byte, 32)
	nonces := &dpop.Nonces{Key: dpop.DeriveNonceKey(kek), Window: time.Minute}
	v := &dpop.Verifier{Replay: store, Now: func() time.Time { return now }, Nonces: nonces, RequireNonce: true}
	_, err := verify(v, key.New("POST", tokenURI, now).Sign(t), dpop.Request{})
	wantCode(t, "no nonce", err, jeton.CodeUseDPoPNonce)
	forged := (&dpop.Nonces{Key: dpop.DeriveNonceKey([]byte("another kek, another deployment")), Window: time.Minute}).Current(now)
	_, err = verify(v, key.New("POST", tokenURI, now).Nonce(forged).Sign(t), dpop.Request{})
	wantCode(t, "forged nonce", err, jeton.CodeUseDPoPNonce)
	_, err = verify(v, key.New("POST", tokenURI, now).Nonce(nonces.Current(now.Add(-2*time.Minute))).Sign(t), dpop.Request{})
	wantCode(t, "old nonce", err, jeton.CodeUseDPoPNonce)
	_, err = verify(v, key.New("POST", tokenURI, now).Nonce("%%%").Sign(t), dpop.Request{})
	wantCode(t, "garbage nonce", err, jeton.CodeUseDPoPNonce)
	replica := &dpop.Nonces{Key: dpop.DeriveNonceKey(kek), Window: time.Minute}
	for _, n := range []string{v.Nonce(), replica.Current(now.Add(-time.Minute))} {
		if _, err := verify(v, key.New("POST", tokenURI, now).Nonce(n).Sign(t), dpop.Request{}); err != nil {
			t.Fatalf("nonce %q: %v", n, err)
		}
	}
	rotated := &dpop.Nonces{Key: dpop.DeriveNonceKey([]byte("new kek")), PreviousKeys: [][]byte{dpop.DeriveNonceKey(kek)}, Window: time.Minute}
	if !rotated.Valid(nonces.Current(now), now) {
		t.Fatal("a nonce of the previous KEK is refused during a KEK rotation")
	}
}

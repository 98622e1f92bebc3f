package keys

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/testclock"
)

var testKEK = bytes.Repeat([]byte{0x42}, KEKSize)

// newTestManager loads a Manager on a fresh in-memory store with only the given algs,
// so that most tests avoid RSA key generation.
func newTestManager(t *testing.T, algs ...string) (*Manager, *memKeyStore, *testclock.Clock) {
	t.Helper()
	store := &memKeyStore{}
	m, clk := newTestManagerOn(t, store, algs...)
	return m, store, clk
}

func newTestManagerOn(t *testing.T, store jeton.KeyStore, algs ...string) (*Manager, *testclock.Clock) {
	t.Helper()
	clk := newClock()
	m := NewManager(store, testKEK, Config{Now: clk.Now, Algs: algs})
	if err := m.Load(t.Context()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return m, clk
}

// jwks parses the Manager's JWK Set as a relying party would.
func jwks(t *testing.T, m *Manager) jose.JSONWebKeySet {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(m.JWKS(), &set); err != nil {
		t.Fatalf("JWKS is not a JWK Set: %v", err)
	}
	return set
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	slices.Sort(out)
	return out
}

// verify checks token against the JWK Set with go-jose, as a resource server would,
// and returns the payload.
func verify(t *testing.T, set jose.JSONWebKeySet, token string) ([]byte, error) {
	t.Helper()
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA})
	if err != nil {
		t.Fatalf("token does not parse: %v", err)
	}
	kid := jws.Signatures[0].Protected.KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		return nil, errNoKey(kid)
	}
	return jws.Verify(keys[0])
}

type errNoKey string

func (e errNoKey) Error() string { return "no published key " + string(e) }

func sign(t *testing.T, m *Manager, alg, typ string) (string, string) {
	t.Helper()
	s, err := m.Signer(alg)
	if err != nil {
		t.Fatalf("Signer(%s): %v", alg, err)
	}
	tok, err := s.Sign([]byte(`{"sub":"alice"}`), typ)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok, s.KeyID()
}

func TestFirstLoadGeneratesDefaultAlgs(t *testing.T) { forEachStore(t, testFirstLoad) }

func testFirstLoad(t *testing.T, store jeton.KeyStore) {
	clk := newClock()
	m := NewManager(store, testKEK, Config{Now: clk.Now}) // default algs: every supported one
	if err := m.Load(t.Context()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	rows, err := m.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	byAlg := make(map[string]jeton.SigningKey)
	for _, k := range rows {
		byAlg[k.Alg] = k
	}
	want := DefaultAlgs()
	if len(rows) != len(want) || len(byAlg) != len(want) {
		t.Fatalf("stored %d keys of %d algs, want one of each of %v", len(rows), len(byAlg), want)
	}
	set := jwks(t, m)
	if len(set.Keys) != len(want) {
		t.Fatalf("JWKS has %d keys, want %d", len(set.Keys), len(want))
	}
	for i, k := range set.Keys {
		row := byAlg[k.Algorithm]
		if k.KeyID != row.ID || k.Algorithm != row.Alg || k.Use != "sig" || !k.IsPublic() {
			t.Errorf("JWK %d = kid %q alg %q use %q public %v, want kid %q alg %q use sig public",
				i, k.KeyID, k.Algorithm, k.Use, k.IsPublic(), row.ID, row.Alg)
		}
		if want, _ := thumbprint(k.Key); k.KeyID != want {
			t.Errorf("kid %q is not the RFC 7638 thumbprint %q", k.KeyID, want)
		}
		if !row.ActiveAt.Equal(clk.Now()) || !row.CreatedAt.Equal(clk.Now()) {
			t.Errorf("first %s key: created %v active %v, want both %v", row.Alg, row.CreatedAt, row.ActiveAt, clk.Now())
		}
		if bytes.Contains(row.PrivateSealed, row.PublicDER[len(row.PublicDER)-16:]) {
			t.Errorf("%s sealed private key contains public key bytes in clear", row.Alg)
		}
	}
	for _, alg := range want {
		tok, _ := sign(t, m, alg, "at+jwt")
		if _, err := verify(t, set, tok); err != nil {
			t.Errorf("%s token does not verify against the JWKS: %v", alg, err)
		}
	}

	// A second start on the same store generates nothing.
	again := NewManager(store, testKEK, Config{Now: clk.Now})
	if err := again.Load(t.Context()); err != nil {
		t.Fatalf("second Load: %v", err)
	}
	if rows2, _ := again.List(t.Context()); len(rows2) != len(want) {
		t.Errorf("second Load left %d keys, want the same %d", len(rows2), len(want))
	}
}

func TestSignRoundTripEveryAlg(t *testing.T) {
	m, _, _ := newTestManager(t, "ES256", "EdDSA", "PS256")
	set := jwks(t, m)
	for _, alg := range []string{"ES256", "EdDSA", "PS256"} {
		for _, typ := range []string{"at+jwt", "JWT"} {
			tok, kid := sign(t, m, alg, typ)
			payload, err := verify(t, set, tok)
			if err != nil {
				t.Fatalf("%s/%s: verify: %v", alg, typ, err)
			}
			if string(payload) != `{"sub":"alice"}` {
				t.Errorf("%s/%s: payload %q", alg, typ, payload)
			}
			jws, _ := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			h := jws.Signatures[0].Protected
			if h.Algorithm != alg || h.KeyID != kid || h.ExtraHeaders[jose.HeaderType] != typ {
				t.Errorf("%s/%s: header alg %q kid %q typ %v", alg, typ, h.Algorithm, h.KeyID, h.ExtraHeaders[jose.HeaderType])
			}
		}
	}
	if _, err := m.Signer("RS256"); err == nil {
		t.Error("Signer(RS256) succeeded although no RS256 key was configured")
	}
	s, _ := m.Signer("ES256")
	if _, err := s.Sign([]byte("{}"), ""); err == nil {
		t.Error("Sign with an empty typ succeeded")
	}
}

func TestWrongKEKFailsLoad(t *testing.T) { forEachStore(t, testWrongKEK) }

func testWrongKEK(t *testing.T, store jeton.KeyStore) {
	_, clk := newTestManagerOn(t, store, "ES256")
	rows, _ := store.ListSigningKeys(t.Context())
	other := bytes.Repeat([]byte{0x43}, KEKSize)
	err := NewManager(store, other, Config{Now: clk.Now, Algs: []string{"ES256"}}).Load(t.Context())
	want := "keys: cannot decrypt signing key " + rows[0].ID + " (wrong key-encryption key?)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Load with a wrong KEK = %v, want an error containing %q", err, want)
	}
	if err := NewManager(store, other[:16], Config{Now: clk.Now}).Load(t.Context()); err == nil {
		t.Error("Load with a 16-byte KEK succeeded")
	}
}

func TestTamperedOrSwappedKeysFailLoad(t *testing.T) {
	m, store, clk := newTestManager(t, "ES256")
	if _, err := m.Rotate(t.Context(), "ES256"); err != nil {
		t.Fatal(err)
	}
	rows, _ := store.ListSigningKeys(t.Context())
	a, b := rows[0], rows[1]
	load := func() error {
		return NewManager(store, testKEK, Config{Now: clk.Now, Algs: []string{"ES256"}}).Load(t.Context())
	}
	restore := func() {
		store.edit(a.ID, func(k *jeton.SigningKey) { *k = cloneKey(a) })
		store.edit(b.ID, func(k *jeton.SigningKey) { k.PrivateSealed, k.PublicDER = b.PrivateSealed, b.PublicDER })
	}
	cases := []struct {
		name string
		edit func()
		want string
	}{
		{"flipped ciphertext bit", func() {
			store.edit(a.ID, func(k *jeton.SigningKey) { k.PrivateSealed[len(k.PrivateSealed)/2] ^= 1 })
		}, "cannot decrypt signing key " + a.ID},
		{"truncated blob", func() {
			store.edit(a.ID, func(k *jeton.SigningKey) { k.PrivateSealed = k.PrivateSealed[:10] })
		}, "cannot decrypt signing key " + a.ID},
		{"sealed blob swapped between kids", func() {
			store.edit(a.ID, func(k *jeton.SigningKey) { k.PrivateSealed = b.PrivateSealed })
		}, "cannot decrypt signing key " + a.ID},
		{"public key swapped", func() {
			store.edit(a.ID, func(k *jeton.SigningKey) { k.PublicDER = b.PublicDER })
		}, "stored public key does not match"},
		{"alg relabelled", func() {
			store.edit(a.ID, func(k *jeton.SigningKey) { k.Alg = "EdDSA" })
		}, "is not a EdDSA key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer restore()
			tc.edit()
			err := load()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if err := load(); err != nil {
		t.Fatalf("Load after restoring the rows: %v", err)
	}
}

func TestRotationPublishesFirstSignsLater(t *testing.T) { forEachStore(t, testRotation) }

func testRotation(t *testing.T, store jeton.KeyStore) {
	ctx := t.Context()
	m, clk := newTestManagerOn(t, store, "ES256")
	oldTok, oldKid := sign(t, m, "ES256", "at+jwt")

	clk.Advance(time.Minute)
	next, err := m.Rotate(ctx, "ES256")
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if want := clk.Now().Add(10 * time.Minute); !next.ActiveAt.Equal(want) {
		t.Fatalf("successor ActiveAt = %v, want now + default PublishDelay %v", next.ActiveAt, want)
	}
	if got := kids(jwks(t, m)); !slices.Equal(got, sortedPair(oldKid, next.ID)) {
		t.Fatalf("JWKS right after rotation = %v, want both keys", got)
	}
	rows, err := store.ListSigningKeys(ctx)
	if err != nil || len(rows) != 2 || rows[0].ID != oldKid {
		t.Fatalf("stored keys = %v, %v; want predecessor then successor", rows, err)
	}
	unpublishAt := next.ActiveAt.Add(24 * time.Hour)
	if !rows[0].RetiredAt.Equal(next.ActiveAt) || !rows[0].UnpublishAt.Equal(unpublishAt) {
		t.Fatalf("predecessor retired %v unpublish %v, want %v and %v", rows[0].RetiredAt, rows[0].UnpublishAt, next.ActiveAt, unpublishAt)
	}

	// Inside the publish delay the predecessor keeps signing.
	clk.Advance(10*time.Minute - time.Second)
	if _, kid := sign(t, m, "ES256", "at+jwt"); kid != oldKid {
		t.Fatalf("1s before the successor's ActiveAt, signer is %s, want predecessor %s", kid, oldKid)
	}
	clk.Advance(time.Second)
	newTok, kid := sign(t, m, "ES256", "at+jwt")
	if kid != next.ID {
		t.Fatalf("at the successor's ActiveAt, signer is %s, want %s", kid, next.ID)
	}

	// Tokens of the old key verify until its UnpublishAt; then the key is gone.
	clk.Advance(unpublishAt.Sub(clk.Now()) - time.Second)
	if _, err := verify(t, jwks(t, m), oldTok); err != nil {
		t.Fatalf("old token 1s before UnpublishAt: %v", err)
	}
	clk.Advance(time.Second)
	set := jwks(t, m)
	if got := kids(set); !slices.Equal(got, []string{next.ID}) {
		t.Fatalf("JWKS at UnpublishAt = %v, want only %s", got, next.ID)
	}
	if _, err := verify(t, set, oldTok); err == nil {
		t.Fatal("old token still verifies after its key was unpublished")
	}
	if _, err := verify(t, set, newTok); err != nil {
		t.Fatalf("new token: %v", err)
	}
	if len(m.KeySet().Keys) != 1 {
		t.Errorf("KeySet has %d keys after unpublish, want 1", len(m.KeySet().Keys))
	}

	// Prune removes only the unpublished predecessor (strictly before now).
	clk.Advance(time.Second)
	if n, err := m.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1, nil", n, err)
	}
	if rows, _ := m.List(ctx); len(rows) != 1 || rows[0].ID != next.ID {
		t.Fatalf("keys after Prune = %v", rows)
	}
}

func sortedPair(a, b string) []string {
	s := []string{a, b}
	slices.Sort(s)
	return s
}

func TestJWKSIsCachedUntilNextTransition(t *testing.T) {
	m, _, clk := newTestManager(t, "ES256")
	first := m.JWKS()
	clk.Advance(time.Hour)
	if again := m.JWKS(); &again[0] != &first[0] {
		t.Error("JWKS was rebuilt although no key was published or unpublished")
	}
	if _, err := m.Rotate(t.Context(), "ES256"); err != nil {
		t.Fatal(err)
	}
	if rotated := m.JWKS(); bytes.Equal(rotated, first) {
		t.Error("JWKS unchanged after Rotate")
	}
	// A clock that moves backwards (tests, or a corrected host clock) before a key's
	// CreatedAt must not serve the later set.
	clk.Advance(-2 * time.Hour)
	if got := kids(jwks(t, m)); len(got) != 0 {
		t.Errorf("JWKS before any key was created = %v, want empty", got)
	}
}

func TestReloadPicksUpOtherReplicasRotation(t *testing.T) { forEachStore(t, testReload) }

func testReload(t *testing.T, store jeton.KeyStore) {
	ctx := t.Context()
	a, clk := newTestManagerOn(t, store, "ES256")
	b := NewManager(store, testKEK, Config{Now: clk.Now, Algs: []string{"ES256"}})
	if err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := b.Signer("ES256")
	next, err := a.Rotate(ctx, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	if len(jwks(t, b).Keys) != 1 {
		t.Fatal("replica b saw the rotation before reloading")
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if got := kids(jwks(t, b)); !slices.Contains(got, next.ID) {
		t.Fatalf("replica b JWKS after Reload = %v, want it to include %s", got, next.ID)
	}
	if after, _ := b.Signer("ES256"); after != before {
		t.Error("Reload rebuilt the unchanged current key instead of reusing it")
	}
	clk.Advance(10 * time.Minute)
	if s, _ := b.Signer("ES256"); s.KeyID() != next.ID {
		t.Errorf("replica b signs with %s after the delay, want %s", s.KeyID(), next.ID)
	}
}

func TestUnknownAlgs(t *testing.T) {
	m, _, _ := newTestManager(t, "ES256")
	if _, err := m.Rotate(t.Context(), "HS256"); err == nil || !strings.Contains(err.Error(), `unsupported signing algorithm "HS256"`) {
		t.Errorf("Rotate(HS256) = %v, want an unsupported-algorithm error", err)
	}
	bad := NewManager(&memKeyStore{}, testKEK, Config{Algs: []string{"ES256", "none"}})
	if err := bad.Load(t.Context()); err == nil || !strings.Contains(err.Error(), `"none"`) {
		t.Errorf("Load with alg none = %v, want an unsupported-algorithm error", err)
	}
}

func TestConcurrentSignDuringRotation(t *testing.T) { forEachStore(t, testConcurrent) }

func testConcurrent(t *testing.T, store jeton.KeyStore) {
	m, clk := newTestManagerOn(t, store, "ES256", "EdDSA")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				for _, alg := range []string{"ES256", "EdDSA"} {
					s, err := m.Signer(alg)
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := s.Sign([]byte(`{}`), "at+jwt"); err != nil {
						t.Error(err)
						return
					}
				}
				_ = m.JWKS()
			}
		})
	}
	for range 3 {
		if _, err := m.Rotate(t.Context(), "EdDSA"); err != nil {
			t.Error(err)
		}
		clk.Advance(11 * time.Minute)
		if err := m.Reload(t.Context()); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}

func BenchmarkSignES256(b *testing.B) {
	store := &memKeyStore{}
	m := NewManager(store, testKEK, Config{Algs: []string{"ES256"}})
	if err := m.Load(b.Context()); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"iss":"https://bank.example","sub":"alice","aud":"accounts","exp":1893456000,"iat":1893452400,"jti":"0123456789abcdef","client_id":"app","scope":"accounts payments"}`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s, err := m.Signer("ES256")
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := s.Sign(payload, "at+jwt"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestFailedReloadKeepsServing(t *testing.T) {
	m, store, _ := newTestManager(t, "ES256")
	before := m.JWKS()
	s, _ := m.Signer("ES256")
	store.edit(s.KeyID(), func(k *jeton.SigningKey) { k.PrivateSealed[0] ^= 1 })
	if err := m.Reload(t.Context()); err == nil {
		t.Fatal("Reload accepted a tampered key")
	}
	if after, err := m.Signer("ES256"); err != nil || after.KeyID() != s.KeyID() {
		t.Errorf("after a failed Reload, Signer = %v, %v; want the previous key", after, err)
	}
	if !bytes.Equal(m.JWKS(), before) {
		t.Error("a failed Reload changed the JWKS")
	}
}

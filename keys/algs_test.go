package keys

import (
	"slices"
	"testing"

	"github.com/jeton/jeton"
)

// TestLoadAddsMissingAlgs: a database made when only ES256 and RS256 had keys gets a
// key of every other supported alg at the next start, signing at once (nothing could
// have cached a JWK Set that should have held it), and keeps its old keys.
func TestLoadAddsMissingAlgs(t *testing.T) { forEachStore(t, testLoadAddsMissingAlgs) }

func testLoadAddsMissingAlgs(t *testing.T, store jeton.KeyStore) {
	_, clk := newTestManagerOn(t, store, "ES256", "RS256")
	before, _ := store.ListSigningKeys(t.Context())
	m := NewManager(store, testKEK, Config{Now: clk.Now}) // the defaults, as serve runs it
	if err := m.Load(t.Context()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	after, _ := store.ListSigningKeys(t.Context())
	for _, k := range before {
		if !slices.ContainsFunc(after, func(a jeton.SigningKey) bool { return a.ID == k.ID }) {
			t.Errorf("existing %s key %s is gone", k.Alg, k.ID)
		}
	}
	set := jwks(t, m)
	for _, alg := range SupportedAlgs() {
		tok, _ := sign(t, m, alg, "at+jwt")
		if _, err := verify(t, set, tok); err != nil {
			t.Errorf("%s token does not verify against the JWKS: %v", alg, err)
		}
	}
}

// TestRotateFirstKeyOfAlgSignsAtOnce: a rotation that makes an alg's first key has no
// predecessor to keep signing through the publish delay, so the key signs at once;
// the next rotation waits for the delay as always.
func TestRotateFirstKeyOfAlgSignsAtOnce(t *testing.T) {
	m, _, clk := newTestManager(t, "ES256")
	first, err := m.Rotate(t.Context(), "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	if _, kid := sign(t, m, "EdDSA", "at+jwt"); kid != first.ID {
		t.Fatalf("EdDSA signer %q; want the first key %q at once", kid, first.ID)
	}
	next, err := m.Rotate(t.Context(), "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	if _, kid := sign(t, m, "EdDSA", "at+jwt"); kid != first.ID || next.ActiveAt.Equal(clk.Now()) {
		t.Fatalf("a successor signs at once (signer %q, successor %q active %v)", kid, next.ID, next.ActiveAt)
	}
}

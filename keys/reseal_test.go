package keys

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// kekWorld is a store written under oldKEK as the version before KEK ids left it and
// as this one does: signing keys (one of them in the legacy format) and client
// secrets (current and previous, envelope and legacy).
type kekWorld struct {
	store   jeton.Store
	clk     interface{ Now() time.Time }
	secrets map[jeton.SealedKind]map[string]string // kind → client id → secret
	keys    int
}

func newKEKWorld(t *testing.T, store jeton.Store) *kekWorld {
	t.Helper()
	ctx := t.Context()
	clk := newClock()
	m := NewManager(store, oldKEK, Config{Now: clk.Now, Algs: []string{"ES256", "EdDSA"}})
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Rotate(ctx, "ES256"); err != nil {
		t.Fatal(err)
	}
	w := &kekWorld{store: store, clk: clk, keys: 3, secrets: map[jeton.SealedKind]map[string]string{
		jeton.SealedClientSecret: {}, jeton.SealedPreviousClientSecret: {},
	}}
	// The EdDSA key as the previous version sealed it.
	ks, _ := store.ListSigningKeys(ctx)
	for _, k := range ks {
		if k.Alg == "EdDSA" {
			ring := mustRing(t, oldKEK)
			der, err := ring.open(k.ID, k.PrivateSealed)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.ReplaceSealed(ctx, jeton.SealedSigningKey, k.ID, k.PrivateSealed, legacySeal(t, oldKEK, k.ID, der)); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := clk.Now()
	if err := store.CreateInstitution(ctx, jeton.Institution{ID: "bank", Name: "Bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id                string
		current, previous string
		legacy            bool
	}{
		{"jwt-envelope", "secret-1", "old-secret-1", false},
		{"jwt-legacy", "secret-2", "", true},
		{"basic", "", "", false},
	} {
		cl := jeton.Client{ID: c.id, InstitutionID: "bank", Name: c.id, Status: jeton.ClientActive, AuthMethod: jeton.AuthSecretJWT,
			Institutions: []string{"bank"}, TokenFormat: jeton.FormatJWT, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now}
		seal := func(secret string) []byte {
			if c.legacy {
				return legacySeal(t, oldKEK, secretAAD+c.id, []byte(secret))
			}
			b, _ := SealSecret(oldKEK, c.id, secret)
			return b
		}
		if c.current != "" {
			cl.SecretSealed = seal(c.current)
			w.secrets[jeton.SealedClientSecret][c.id] = c.current
		}
		if c.previous != "" {
			cl.PreviousSecretSealed = seal(c.previous)
			w.secrets[jeton.SealedPreviousClientSecret][c.id] = c.previous
		}
		if err := store.CreateClient(ctx, cl); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// checkUnder checks that every value opens under kek alone and that the secrets are
// the ones written.
func (w *kekWorld) checkUnder(t *testing.T, kek []byte) {
	t.Helper()
	ctx := t.Context()
	m := NewManager(w.store, kek, Config{Now: w.clk.Now, Algs: []string{"ES256", "EdDSA"}})
	if err := m.Load(ctx); err != nil {
		t.Fatalf("Load under the KEK alone: %v", err)
	}
	if len(m.KeySet().Keys) != w.keys {
		t.Fatalf("%d keys published, want %d", len(m.KeySet().Keys), w.keys)
	}
	ss, _ := NewSecretSealer(kek)
	for kind, secrets := range w.secrets {
		for id, want := range secrets {
			c, err := w.store.GetClient(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			sealed := c.SecretSealed
			if kind == jeton.SealedPreviousClientSecret {
				sealed = c.PreviousSecretSealed
			}
			if got, err := ss.Open(id, sealed); err != nil || string(got) != want {
				t.Errorf("%s of %s under the KEK alone = %q, %v; want %q", kind, id, got, err, want)
			}
		}
	}
}

// TestResealMovesEverythingToTheNewKEK: status counts every value under the KEK that
// seals it, Reseal rewrites all of them (legacy ones too) under the new KEK, after
// which the new KEK alone opens everything and the old KEK alone is refused with an
// error that names the KEK it lacks.
func TestResealMovesEverythingToTheNewKEK(t *testing.T) { forEachSharedStore(t, testReseal) }

func testReseal(t *testing.T, store jeton.Store) {
	ctx := t.Context()
	w := newKEKWorld(t, store)
	ring := mustRing(t, newKEK, oldKEK)
	st, err := Status(ctx, store, ring)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.KEKs) != 2 || st.KEKs[0].Role != "current" || st.KEKs[0].Total() != 0 ||
		st.KEKs[1].Role != "previous" || st.KEKs[1].ID != KEKID(oldKEK) ||
		st.KEKs[1].ByKind[jeton.SealedSigningKey] != 3 || st.KEKs[1].ByKind[jeton.SealedClientSecret] != 2 ||
		st.KEKs[1].ByKind[jeton.SealedPreviousClientSecret] != 1 || st.KEKs[1].Legacy != 2 || st.Pending() != 6 {
		t.Fatalf("status before = %+v, want 6 values under the old KEK, 2 of them legacy", st)
	}

	res, err := Reseal(ctx, store, ring)
	if err != nil {
		t.Fatalf("Reseal: %v (%+v)", err, res)
	}
	if res.Resealed[jeton.SealedSigningKey] != 3 || res.Resealed[jeton.SealedClientSecret] != 2 ||
		res.Resealed[jeton.SealedPreviousClientSecret] != 1 || res.Raced != 0 || res.Passes != 1 {
		t.Fatalf("Reseal = %+v", res)
	}
	if st := res.Status; st.Pending() != 0 || st.KEKs[0].Total() != 6 || st.KEKs[0].Legacy != 0 || st.KEKs[1].Total() != 0 {
		t.Fatalf("status after = %+v, want all 6 under the new KEK", st)
	}
	w.checkUnder(t, newKEK)

	err = NewManager(store, oldKEK, Config{Now: w.clk.Now, Algs: []string{"ES256"}}).Load(ctx)
	want := "sealed under key-encryption key " + KEKID(newKEK) + ", which is not configured (configured: " + KEKID(oldKEK) + ")"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "wrong key-encryption key") {
		t.Fatalf("Load under the old KEK alone = %v, want an error containing %q", err, want)
	}
	if again, err := Reseal(ctx, store, ring); err != nil || len(again.Resealed) != 0 {
		t.Fatalf("a second Reseal = %+v, %v; want nothing to do", again, err)
	}
	// A restart with the new KEK alone re-seals nothing and reports all done.
	if st, err := Status(ctx, store, mustRing(t, newKEK)); err != nil || st.Pending() != 0 || len(st.KEKs) != 1 {
		t.Fatalf("status under the new KEK alone = %+v, %v", st, err)
	}
}

// racingStore runs before once, just before the first ReplaceSealed reaches the
// store: a write another replica makes between Reseal's read and its rewrite.
type racingStore struct {
	jeton.Store
	once   sync.Once
	before func()
}

func (s *racingStore) ReplaceSealed(ctx context.Context, kind jeton.SealedKind, id string, old, next []byte) error {
	s.once.Do(s.before)
	return s.Store.ReplaceSealed(ctx, kind, id, old, next)
}

// TestResealNeverOverwritesAConcurrentWrite: a client secret rotated by a replica
// (still sealing under the old KEK) between Reseal's read and its rewrite survives:
// the rewrite is refused, and the next pass re-seals the replica's value.
func TestResealNeverOverwritesAConcurrentWrite(t *testing.T) { forEachSharedStore(t, testResealRace) }

func testResealRace(t *testing.T, store jeton.Store) {
	ctx := t.Context()
	w := newKEKWorld(t, store)
	// Signing keys first, so that the next Reseal's first rewrite is a client's.
	if _, err := Reseal(ctx, &onlyKeys{store}, mustRing(t, newKEK, oldKEK)); err != nil {
		t.Fatal(err)
	}
	racing := &racingStore{Store: store, before: func() {
		c, err := store.GetClient(ctx, "jwt-envelope")
		if err != nil {
			t.Error(err)
			return
		}
		c.SecretSealed, _ = SealSecret(oldKEK, c.ID, "rotated-by-a-replica")
		if err := store.UpdateClient(ctx, c); err != nil {
			t.Error(err)
		}
	}}
	res, err := Reseal(ctx, racing, mustRing(t, newKEK, oldKEK))
	if err != nil {
		t.Fatalf("Reseal: %v (%+v)", err, res)
	}
	if res.Raced != 1 || res.Passes != 2 {
		t.Fatalf("Reseal = %+v, want one raced value and a second pass", res)
	}
	w.secrets[jeton.SealedClientSecret]["jwt-envelope"] = "rotated-by-a-replica"
	w.checkUnder(t, newKEK)
}

// onlyKeys lists signing keys alone, to re-seal them first.
type onlyKeys struct{ jeton.Store }

func (s *onlyKeys) ListSealed(ctx context.Context, kind jeton.SealedKind, after string, limit int) ([]jeton.SealedValue, error) {
	if kind != jeton.SealedSigningKey {
		return nil, nil
	}
	return s.Store.ListSealed(ctx, kind, after, limit)
}

// TestResealReportsWhatItCannotOpen: values under a KEK the ring lacks are counted
// under that KEK's id (envelopes) or as unreadable (legacy), and Reseal says they
// remain instead of claiming success.
func TestResealReportsWhatItCannotOpen(t *testing.T) {
	store := openSQLite(t).(jeton.Store)
	ctx := t.Context()
	newKEKWorld(t, store)
	ring := mustRing(t, newKEK) // the old KEK forgotten
	st, err := Status(ctx, store, ring)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.KEKs) != 2 || st.KEKs[1].ID != KEKID(oldKEK) || st.KEKs[1].Role != "unknown" || st.KEKs[1].Total() != 4 || len(st.Unreadable) != 2 {
		t.Fatalf("status = %+v, want 4 envelopes under the unknown old KEK and 2 unreadable legacy values", st)
	}
	res, err := Reseal(ctx, store, ring)
	if !errors.Is(err, ErrResealIncomplete) || len(res.Failed) != 6 || len(res.Resealed) != 0 {
		t.Fatalf("Reseal without the old KEK = %+v, %v; want 6 failures and ErrResealIncomplete", res, err)
	}
	if !strings.Contains(strings.Join(res.Failed, "\n"), "client_secret/jwt-envelope: sealed under key-encryption key "+KEKID(oldKEK)) {
		t.Errorf("failures %q should name the missing KEK", res.Failed)
	}
}

// TestCheckHolders: a rotation is refused while a server seen within the window lacks
// the KEK it would seal with; servers not seen for longer do not count.
func TestCheckHolders(t *testing.T) {
	store := openSQLite(t).(jeton.Store)
	ctx := t.Context()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ring := mustRing(t, newKEK, oldKEK)
	both, old := mustRing(t, oldKEK, newKEK), mustRing(t, oldKEK)
	if err := ReportHolder(ctx, store, "staged", both, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if hs, err := CheckHolders(ctx, store, ring, now); err != nil || len(hs) != 1 {
		t.Fatalf("CheckHolders with a server holding the new KEK as previous = %v, %v", hs, err)
	}
	if err := ReportHolder(ctx, store, "behind", old, now.Add(-HolderWindow+time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err := CheckHolders(ctx, store, ring, now)
	if !errors.Is(err, ErrHolderLacksKEK) || !strings.Contains(err.Error(), "behind (holds "+KEKID(oldKEK)) || strings.Contains(err.Error(), "staged") {
		t.Fatalf("CheckHolders with a server lacking the new KEK = %v, want it named alone", err)
	}
	if _, err := CheckHolders(ctx, store, ring, now.Add(2*time.Second)); err != nil {
		t.Fatalf("a server not seen within the window still counts: %v", err)
	}
	if err := store.RemoveKEKHolder(ctx, "behind"); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckHolders(ctx, store, ring, now); err != nil {
		t.Fatalf("a removed server still counts: %v", err)
	}
}

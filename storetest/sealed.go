package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jeton/jeton"
)

// listAllSealed pages through every value of kind, limit at a time.
func listAllSealed(t *testing.T, s jeton.Store, kind jeton.SealedKind, limit int) []jeton.SealedValue {
	t.Helper()
	var all []jeton.SealedValue
	after := ""
	for {
		page, err := s.ListSealed(t.Context(), kind, after, limit)
		ok(t, "list sealed", err)
		if len(page) > limit {
			t.Fatalf("ListSealed returned %d values, limit %d", len(page), limit)
		}
		all = append(all, page...)
		if len(page) < limit {
			return all
		}
		after = page[len(page)-1].ID
	}
}

// sealedTests pin the two calls a KEK rotation (keys.Reseal) makes: ListSealed pages
// through every sealed column, ReplaceSealed rewrites one value only if it is unchanged.
var sealedTests = []subtest{
	{"Sealed/ListEveryColumnInPages", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		for i := range 5 {
			ok(t, "add key", s.AddSigningKey(ctx, newSigningKey(fmt.Sprintf("k-%d", i), "ES256", at(0)), at(0)))
		}
		for i := range 4 {
			c := newClient(fmt.Sprintf("c-%d", i), "inst-a")
			if i == 2 { // a client that seals nothing
				c.SecretSealed, c.PreviousSecretSealed = nil, nil
			}
			if i == 3 { // a current secret, no previous one
				c.PreviousSecretSealed = nil
			}
			ok(t, "create client", s.CreateClient(ctx, c))
		}
		ok(t, "create console user", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), nil))
		want := map[jeton.SealedKind][]jeton.SealedValue{jeton.SealedConsoleTOTP: {{Kind: jeton.SealedConsoleTOTP, ID: "u-1", Sealed: []byte("sealed-totp-u-1")}}}
		for i := range 5 {
			id := fmt.Sprintf("k-%d", i)
			want[jeton.SealedSigningKey] = append(want[jeton.SealedSigningKey], jeton.SealedValue{Kind: jeton.SealedSigningKey, ID: id, Sealed: []byte("sealed-private-" + id)})
		}
		for _, i := range []int{0, 1, 3} {
			id := fmt.Sprintf("c-%d", i)
			want[jeton.SealedClientSecret] = append(want[jeton.SealedClientSecret], jeton.SealedValue{Kind: jeton.SealedClientSecret, ID: id, Sealed: []byte("sealed-secret-" + id)})
		}
		for _, i := range []int{0, 1} {
			id := fmt.Sprintf("c-%d", i)
			want[jeton.SealedPreviousClientSecret] = append(want[jeton.SealedPreviousClientSecret], jeton.SealedValue{Kind: jeton.SealedPreviousClientSecret, ID: id, Sealed: []byte("sealed-old-secret-" + id)})
		}
		for _, kind := range jeton.SealedKinds {
			for _, limit := range []int{1, 2, 100} {
				same(t, fmt.Sprintf("%s, pages of %d", kind, limit), listAllSealed(t, s, kind, limit), want[kind])
			}
		}
		_, err := s.ListSealed(ctx, "no_such_kind", "", 10)
		if err == nil {
			t.Error("ListSealed of an unknown kind succeeded")
		}
	}},
	{"Sealed/ReplaceOnlyIfUnchanged", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "c-1")
		ok(t, "add key", s.AddSigningKey(ctx, newSigningKey("k-1", "ES256", at(0)), at(0)))
		ok(t, "create console user", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), nil))
		cases := []struct {
			kind jeton.SealedKind
			id   string
			old  []byte
		}{
			{jeton.SealedSigningKey, "k-1", []byte("sealed-private-k-1")},
			{jeton.SealedClientSecret, "c-1", []byte("sealed-secret-c-1")},
			{jeton.SealedPreviousClientSecret, "c-1", []byte("sealed-old-secret-c-1")},
			{jeton.SealedConsoleTOTP, "u-1", []byte("sealed-totp-u-1")},
		}
		for _, c := range cases {
			next := []byte("resealed-" + string(c.kind))
			is(t, string(c.kind)+" with a stale old value", s.ReplaceSealed(ctx, c.kind, c.id, []byte("stale"), next), jeton.ErrConflict)
			is(t, string(c.kind)+" of an unknown row", s.ReplaceSealed(ctx, c.kind, "nobody", c.old, next), jeton.ErrConflict)
			ok(t, string(c.kind), s.ReplaceSealed(ctx, c.kind, c.id, c.old, next))
			// The same replacement again finds the new value: the old one is gone.
			is(t, string(c.kind)+" twice", s.ReplaceSealed(ctx, c.kind, c.id, c.old, []byte("third")), jeton.ErrConflict)
		}
		keys, err := s.ListSigningKeys(ctx)
		ok(t, "list keys", err)
		same(t, "resealed key", keys[0].PrivateSealed, []byte("resealed-signing_key"))
		got, err := s.GetClient(ctx, "c-1")
		ok(t, "get client", err)
		want := newClient("c-1", "inst-a")
		want.SecretSealed, want.PreviousSecretSealed = []byte("resealed-client_secret"), []byte("resealed-client_previous_secret")
		// Nothing else of the row changed (UpdatedAt neither: re-sealing changes no setting).
		same(t, "resealed client", got, want)
	}},
	{"Race/ReplaceSealed", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "c-1")
		old := []byte("sealed-secret-c-1")
		won := -1
		for i, err := range race(func(i int) error {
			return s.ReplaceSealed(ctx, jeton.SealedClientSecret, "c-1", old, fmt.Appendf(nil, "next-%02d", i))
		}) {
			switch {
			case err == nil && won >= 0:
				t.Errorf("racers %d and %d both replaced the value", won, i)
			case err == nil:
				won = i
			case !errors.Is(err, jeton.ErrConflict):
				t.Errorf("racer %d: %v", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no racer replaced the value")
		}
		got, err := s.GetClient(ctx, "c-1")
		ok(t, "get", err)
		same(t, "value after the race", got.SecretSealed, fmt.Appendf(nil, "next-%02d", won))
	}},
}

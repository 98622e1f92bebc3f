package storetest

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var keyTests = []subtest{
	{"SigningKey/AddRetiresOnlySameAlg", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		es1 := newSigningKey("es-1", "ES256", at(0))
		rs1 := newSigningKey("rs-1", "RS256", at(time.Second))
		es2 := newSigningKey("es-2", "ES256", at(time.Hour))
		unpublish := at(25 * time.Hour)

		ok(t, "add es-1", s.AddSigningKey(ctx, es1, at(999*time.Hour)))
		ok(t, "add rs-1", s.AddSigningKey(ctx, rs1, at(999*time.Hour)))
		got, err := s.ListSigningKeys(ctx)
		ok(t, "list", err)
		// With no current key of the alg, AddSigningKey only inserts.
		same(t, "keys after first adds", got, []jeton.SigningKey{es1, rs1})

		ok(t, "add es-2", s.AddSigningKey(ctx, es2, unpublish))
		got, err = s.ListSigningKeys(ctx)
		ok(t, "list", err)
		es1.RetiredAt, es1.UnpublishAt = es2.ActiveAt, unpublish
		same(t, "keys after rotation", got, []jeton.SigningKey{es1, rs1, es2})

		// An already retired key keeps its dates when the alg rotates again.
		es3 := newSigningKey("es-3", "ES256", at(2*time.Hour))
		ok(t, "add es-3", s.AddSigningKey(ctx, es3, at(26*time.Hour)))
		got, err = s.ListSigningKeys(ctx)
		ok(t, "list", err)
		es2.RetiredAt, es2.UnpublishAt = es3.ActiveAt, at(26*time.Hour)
		same(t, "keys after second rotation", got, []jeton.SigningKey{es1, rs1, es2, es3})

		is(t, "duplicate kid", s.AddSigningKey(ctx, newSigningKey("es-3", "ES256", at(3*time.Hour)), unpublish), jeton.ErrConflict)
		got, err = s.ListSigningKeys(ctx)
		ok(t, "list", err)
		same(t, "keys after failed add", got, []jeton.SigningKey{es1, rs1, es2, es3})
	}},
	{"SigningKey/AddFirstOnlyWithoutCurrent", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		es1 := newSigningKey("es-1", "ES256", at(0))
		ok(t, "first ES256", s.AddFirstSigningKey(ctx, es1))
		is(t, "second first ES256", s.AddFirstSigningKey(ctx, newSigningKey("es-2", "ES256", at(time.Second))), jeton.ErrConflict)
		rs1 := newSigningKey("rs-1", "RS256", at(time.Second))
		ok(t, "first RS256 beside a current ES256", s.AddFirstSigningKey(ctx, rs1))
		// After a rotation there is still a current key: no second first key.
		es3 := newSigningKey("es-3", "ES256", at(time.Hour))
		ok(t, "rotate ES256", s.AddSigningKey(ctx, es3, at(25*time.Hour)))
		is(t, "first ES256 after rotation", s.AddFirstSigningKey(ctx, newSigningKey("es-4", "ES256", at(2*time.Hour))), jeton.ErrConflict)
		got, err := s.ListSigningKeys(ctx)
		ok(t, "list", err)
		es1.RetiredAt, es1.UnpublishAt = es3.ActiveAt, at(25*time.Hour)
		same(t, "keys", got, []jeton.SigningKey{es1, rs1, es3})
	}},
	{"SigningKey/DeleteOnlyUnpublished", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		got, err := s.ListSigningKeys(ctx)
		ok(t, "list empty", err)
		if got == nil || len(got) != 0 {
			t.Errorf("empty key list = %#v, want empty non-nil", got)
		}
		k1 := newSigningKey("k-1", "EdDSA", at(0))
		k2 := newSigningKey("k-2", "EdDSA", at(time.Hour))
		k3 := newSigningKey("k-3", "EdDSA", at(2*time.Hour))
		ok(t, "add k-1", s.AddSigningKey(ctx, k1, at(5*time.Hour)))
		// k-1 is retired with a zero UnpublishAt, k-2 with UnpublishAt = 10h.
		ok(t, "add k-2", s.AddSigningKey(ctx, k2, time.Time{}))
		ok(t, "add k-3", s.AddSigningKey(ctx, k3, at(10*time.Hour)))

		n, err := s.DeleteSigningKeys(ctx, at(10*time.Hour))
		ok(t, "delete at unpublish time", err)
		if n != 0 {
			t.Errorf("deleted %d keys at k-2's UnpublishAt, want 0 (strictly before now)", n)
		}
		n, err = s.DeleteSigningKeys(ctx, at(10*time.Hour+time.Microsecond))
		ok(t, "delete", err)
		if n != 1 {
			t.Errorf("deleted %d keys, want 1 (k-2)", n)
		}
		// k-1 has a zero UnpublishAt: never deleted. k-3 is current.
		n, err = s.DeleteSigningKeys(ctx, at(9999*time.Hour))
		ok(t, "delete far future", err)
		if n != 0 {
			t.Errorf("deleted %d keys, want 0", n)
		}
		got, err = s.ListSigningKeys(ctx)
		ok(t, "list", err)
		k1.RetiredAt = k2.ActiveAt
		same(t, "remaining keys", got, []jeton.SigningKey{k1, k3})
	}},
}

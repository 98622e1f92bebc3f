package storetest

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// refreshTests run once with family-prefixed keys and once with legacy ones (keys).
var refreshTests = append(append(refreshTestsWith(familyKeys), refreshTestsWith(legacyKeys)...), subtest{
	// A token made before migration 13 in a family jeton made (32 hex characters): it
	// is found by its digest, and rotating it stores a family-prefixed successor.
	"Refresh/LegacyTokenRotatesToPrefixed", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		f := newFamily(familyKeys.fam("fam-1"), "client-a", "inst-a")
		old := newToken("rt-0", f.ID, at(0))
		old.Digest = jeton.Digest("rt-0")
		ok(t, "create", s.CreateRefreshFamily(ctx, f, old))
		got, fam, err := s.GetRefreshToken(ctx, jeton.Digest("rt-0"))
		ok(t, "get legacy", err)
		same(t, "legacy token", got, old)
		same(t, "its family", fam, f)
		next := newToken("rt-1", f.ID, at(time.Minute))
		if len(next.Digest) != jeton.RefreshKeyLen {
			t.Fatalf("successor key of %d bytes, want a family-prefixed one", len(next.Digest))
		}
		ok(t, "rotate", s.RotateRefreshToken(ctx, old.Digest, next, at(time.Minute)))
		got, _, err = s.GetRefreshToken(ctx, old.Digest)
		ok(t, "get rotated", err)
		same(t, "successor's key", got.SuccessorDigest, next.Digest)
		got, _, err = s.GetRefreshToken(ctx, next.Digest)
		ok(t, "get successor", err)
		same(t, "successor", got, next)
		_, _, err = s.GetRefreshToken(ctx, jeton.Digest("rt-1"))
		is(t, "successor by its bare digest", err, jeton.ErrNotFound)
		ok(t, "revoke", s.RevokeRefreshFamily(ctx, f.ID, at(time.Hour)))
		_, fam, err = s.GetRefreshToken(ctx, old.Digest)
		ok(t, "get", err)
		if fam.RevokedAt.IsZero() {
			t.Error("legacy token's family not revoked")
		}
	},
})

func refreshTestsWith(k keys) []subtest {
	return []subtest{
		{"Refresh/" + k.prefix + "CreateAndGet", func(t *testing.T, s jeton.Store) {
			f := seedFamilyWith(t, s, k, "rt-0")
			tok, fam, err := s.GetRefreshToken(t.Context(), k.key("rt-0", f.ID))
			ok(t, "get", err)
			same(t, "token", tok, newToken("rt-0", f.ID, at(0)))
			same(t, "family", fam, f)

			_, _, err = s.GetRefreshToken(t.Context(), k.key("unknown", f.ID))
			is(t, "get unknown", err, jeton.ErrNotFound)
		}},
		{"Refresh/" + k.prefix + "EmptyScopeReadsAsEmpty", func(t *testing.T, s jeton.Store) {
			seed(t, s, "inst-a", "client-a")
			f := newFamily(k.fam("fam-1"), "client-a", "inst-a")
			f.Scope = nil
			ok(t, "create", s.CreateRefreshFamily(t.Context(), f, newToken("rt-0", f.ID, at(0))))
			_, fam, err := s.GetRefreshToken(t.Context(), k.key("rt-0", f.ID))
			ok(t, "get", err)
			f.Scope = []string{}
			same(t, "family", fam, f)
		}},
		{"Refresh/" + k.prefix + "CreateIsAllOrNothing", func(t *testing.T, s jeton.Store) {
			ctx := t.Context()
			f := seedFamilyWith(t, s, k, "rt-0")
			is(t, "duplicate family id", s.CreateRefreshFamily(ctx, f, newToken("rt-9", f.ID, at(0))), jeton.ErrConflict)
			_, _, err := s.GetRefreshToken(ctx, k.key("rt-9", f.ID))
			is(t, "token of failed family", err, jeton.ErrNotFound)

			// The family insert succeeds but its token cannot be stored: nothing may remain.
			g := newFamily(k.fam("fam-2"), "client-a", "inst-a")
			if k.legacy {
				is(t, "duplicate token digest", s.CreateRefreshFamily(ctx, g, newToken("rt-0", g.ID, at(0))), jeton.ErrConflict)
			} else {
				// A prefixed key can only collide within its family; a key that names
				// another family is refused.
				bad := newToken("rt-0", g.ID, at(0))
				bad.Digest = k.key("rt-0", f.ID)
				if err := s.CreateRefreshFamily(ctx, g, bad); err == nil {
					t.Error("token whose key names another family: stored")
				}
			}
			is(t, "family of failed create", s.RevokeRefreshFamily(ctx, g.ID, at(0)), jeton.ErrNotFound)

			h := newFamily(k.fam("fam-3"), "client-unknown", "inst-a")
			is(t, "unknown client", s.CreateRefreshFamily(ctx, h, newToken("rt-3", h.ID, at(0))), jeton.ErrNotFound)
		}},
		{"Refresh/" + k.prefix + "Rotate", func(t *testing.T, s jeton.Store) {
			ctx := t.Context()
			f := seedFamilyWith(t, s, k, "rt-0")
			next := newToken("rt-1", f.ID, at(time.Minute))
			ok(t, "rotate", s.RotateRefreshToken(ctx, k.key("rt-0", f.ID), next, at(time.Minute)))

			old, _, err := s.GetRefreshToken(ctx, k.key("rt-0", f.ID))
			ok(t, "get old", err)
			want := newToken("rt-0", f.ID, at(0))
			want.UsedAt, want.SuccessorDigest = at(time.Minute), next.Digest
			same(t, "rotated token", old, want)
			got, fam, err := s.GetRefreshToken(ctx, next.Digest)
			ok(t, "get successor", err)
			same(t, "successor", got, next)
			same(t, "successor's family", fam, f)
		}},
		{"Refresh/" + k.prefix + "RotateUsedChangesNothing", func(t *testing.T, s jeton.Store) {
			ctx := t.Context()
			f := seedFamilyWith(t, s, k, "rt-0")
			ok(t, "rotate", s.RotateRefreshToken(ctx, k.key("rt-0", f.ID), newToken("rt-1", f.ID, at(time.Minute)), at(time.Minute)))
			before, _, err := s.GetRefreshToken(ctx, k.key("rt-0", f.ID))
			ok(t, "get", err)

			replay := newToken("rt-2", f.ID, at(time.Hour))
			is(t, "rotate used token", s.RotateRefreshToken(ctx, k.key("rt-0", f.ID), replay, at(time.Hour)), jeton.ErrAlreadyUsed)
			after, _, err := s.GetRefreshToken(ctx, k.key("rt-0", f.ID))
			ok(t, "get", err)
			same(t, "used token after replay", after, before)
			_, _, err = s.GetRefreshToken(ctx, replay.Digest)
			is(t, "replay's successor", err, jeton.ErrNotFound)

			is(t, "rotate unknown", s.RotateRefreshToken(ctx, k.key("nope", f.ID), newToken("rt-3", f.ID, at(time.Hour)), at(time.Hour)), jeton.ErrNotFound)
			_, _, err = s.GetRefreshToken(ctx, k.key("rt-3", f.ID))
			is(t, "unknown's successor", err, jeton.ErrNotFound)
		}},
		{"Refresh/" + k.prefix + "RotateIsAllOrNothing", func(t *testing.T, s jeton.Store) {
			ctx := t.Context()
			f := seedFamilyWith(t, s, k, "rt-0")
			ok(t, "rotate", s.RotateRefreshToken(ctx, k.key("rt-0", f.ID), newToken("rt-1", f.ID, at(time.Minute)), at(time.Minute)))
			before, _, err := s.GetRefreshToken(ctx, k.key("rt-1", f.ID))
			ok(t, "get", err)
			// The successor's insert fails (its key is taken): the claim must be undone.
			is(t, "rotate into a taken key", s.RotateRefreshToken(ctx, k.key("rt-1", f.ID), newToken("rt-0", f.ID, at(time.Hour)), at(time.Hour)), jeton.ErrConflict)
			after, _, err := s.GetRefreshToken(ctx, k.key("rt-1", f.ID))
			ok(t, "get", err)
			same(t, "token after the failed rotation", after, before)
			ok(t, "rotate after all", s.RotateRefreshToken(ctx, k.key("rt-1", f.ID), newToken("rt-2", f.ID, at(time.Hour)), at(time.Hour)))
		}},
		{"Refresh/" + k.prefix + "RevokeFamily", func(t *testing.T, s jeton.Store) {
			ctx := t.Context()
			f := seedFamilyWith(t, s, k, "rt-0")
			ok(t, "revoke", s.RevokeRefreshFamily(ctx, f.ID, at(time.Hour)))
			ok(t, "revoke again", s.RevokeRefreshFamily(ctx, f.ID, at(2*time.Hour)))
			_, fam, err := s.GetRefreshToken(ctx, k.key("rt-0", f.ID))
			ok(t, "get", err)
			f.RevokedAt = at(time.Hour) // the first revocation time stays
			same(t, "revoked family", fam, f)
			is(t, "revoke unknown", s.RevokeRefreshFamily(ctx, k.fam("fam-none"), at(time.Hour)), jeton.ErrNotFound)
		}},
		{"Refresh/" + k.prefix + "RevokeGrant", func(t *testing.T, s jeton.Store) {
			ctx := t.Context()
			f := seedFamilyWith(t, s, k, "rt-0")
			rev := func(id string, d time.Duration) jeton.Revocation {
				return jeton.Revocation{Kind: jeton.RevokeFamily, ID: id, InstitutionID: "inst-a", RevokedAt: at(d), ExpiresAt: at(48 * time.Hour)}
			}
			tomb := func(id string) jeton.RefreshFamily {
				g := newFamily(id, "client-a", "inst-a")
				g.RevokedAt = at(time.Hour)
				return g
			}
			// An existing family is revoked; the first revocation time stays.
			ok(t, "revoke existing", s.RevokeGrant(ctx, rev(f.ID, time.Hour), tomb(f.ID)))
			ok(t, "revoke existing again", s.RevokeGrant(ctx, rev(f.ID, 2*time.Hour), tomb(f.ID)))
			_, fam, err := s.GetRefreshToken(ctx, k.key("rt-0", f.ID))
			ok(t, "get", err)
			f.RevokedAt = at(time.Hour)
			same(t, "revoked family", fam, f)
			// A family not yet started can no longer start.
			fam2 := k.fam("fam-2")
			ok(t, "revoke before start", s.RevokeGrant(ctx, rev(fam2, time.Hour), tomb(fam2)))
			g := newFamily(fam2, "client-a", "inst-a")
			is(t, "start after revoke", s.CreateRefreshFamily(ctx, g, newToken("rt-2", g.ID, at(0))), jeton.ErrConflict)
			_, _, err = s.GetRefreshToken(ctx, k.key("rt-2", g.ID))
			is(t, "token of the refused family", err, jeton.ErrNotFound)
			for _, id := range []string{f.ID, fam2} {
				revoked, err := s.IsRevoked(ctx, jeton.RevokeFamily, id)
				ok(t, "is revoked", err)
				same(t, "revocation of "+id+" recorded", revoked, true)
			}
		}},
		{"Refresh/" + k.prefix + "ExtendUnusedOnly", func(t *testing.T, s jeton.Store) {
			ctx := t.Context()
			f := seedFamilyWith(t, s, k, "rt-1")
			later := at(20 * 24 * time.Hour)
			ok(t, "extend", s.ExtendRefreshToken(ctx, k.key("rt-1", f.ID), later))
			tok, _, err := s.GetRefreshToken(ctx, k.key("rt-1", f.ID))
			ok(t, "get", err)
			if !tok.ExpiresAt.Equal(later) {
				t.Errorf("expires_at %v, want %v", tok.ExpiresAt, later)
			}
			ok(t, "rotate", s.RotateRefreshToken(ctx, k.key("rt-1", f.ID), newToken("rt-2", f.ID, at(time.Minute)), at(time.Minute)))
			is(t, "extend a used token", s.ExtendRefreshToken(ctx, k.key("rt-1", f.ID), later), jeton.ErrNotFound)
			is(t, "extend an unknown token", s.ExtendRefreshToken(ctx, k.key("nope", f.ID), later), jeton.ErrNotFound)
		}},
	}
}

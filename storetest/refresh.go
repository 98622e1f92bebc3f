package storetest

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var refreshTests = []subtest{
	{"Refresh/CreateAndGet", func(t *testing.T, s jeton.Store) {
		f := seedFamily(t, s, "rt-0")
		tok, fam, err := s.GetRefreshToken(t.Context(), jeton.Digest("rt-0"))
		ok(t, "get", err)
		same(t, "token", tok, newToken("rt-0", f.ID, at(0)))
		same(t, "family", fam, f)

		_, _, err = s.GetRefreshToken(t.Context(), jeton.Digest("unknown"))
		is(t, "get unknown", err, jeton.ErrNotFound)
	}},
	{"Refresh/EmptyScopeReadsAsEmpty", func(t *testing.T, s jeton.Store) {
		seed(t, s, "inst-a", "client-a")
		f := newFamily("fam-1", "client-a", "inst-a")
		f.Scope = nil
		ok(t, "create", s.CreateRefreshFamily(t.Context(), f, newToken("rt-0", f.ID, at(0))))
		_, fam, err := s.GetRefreshToken(t.Context(), jeton.Digest("rt-0"))
		ok(t, "get", err)
		f.Scope = []string{}
		same(t, "family", fam, f)
	}},
	{"Refresh/CreateIsAllOrNothing", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		f := seedFamily(t, s, "rt-0")
		is(t, "duplicate family id", s.CreateRefreshFamily(ctx, f, newToken("rt-9", f.ID, at(0))), jeton.ErrConflict)
		_, _, err := s.GetRefreshToken(ctx, jeton.Digest("rt-9"))
		is(t, "token of failed family", err, jeton.ErrNotFound)

		// The family insert succeeds but its token collides: nothing may remain.
		g := newFamily("fam-2", "client-a", "inst-a")
		is(t, "duplicate token digest", s.CreateRefreshFamily(ctx, g, newToken("rt-0", g.ID, at(0))), jeton.ErrConflict)
		is(t, "family of failed create", s.RevokeRefreshFamily(ctx, g.ID, at(0)), jeton.ErrNotFound)

		h := newFamily("fam-3", "client-unknown", "inst-a")
		is(t, "unknown client", s.CreateRefreshFamily(ctx, h, newToken("rt-3", h.ID, at(0))), jeton.ErrNotFound)
	}},
	{"Refresh/Rotate", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		f := seedFamily(t, s, "rt-0")
		next := newToken("rt-1", f.ID, at(time.Minute))
		ok(t, "rotate", s.RotateRefreshToken(ctx, jeton.Digest("rt-0"), next, at(time.Minute)))

		old, _, err := s.GetRefreshToken(ctx, jeton.Digest("rt-0"))
		ok(t, "get old", err)
		want := newToken("rt-0", f.ID, at(0))
		want.UsedAt, want.SuccessorDigest = at(time.Minute), next.Digest
		same(t, "rotated token", old, want)
		got, fam, err := s.GetRefreshToken(ctx, next.Digest)
		ok(t, "get successor", err)
		same(t, "successor", got, next)
		same(t, "successor's family", fam, f)
	}},
	{"Refresh/RotateUsedChangesNothing", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		f := seedFamily(t, s, "rt-0")
		ok(t, "rotate", s.RotateRefreshToken(ctx, jeton.Digest("rt-0"), newToken("rt-1", f.ID, at(time.Minute)), at(time.Minute)))
		before, _, err := s.GetRefreshToken(ctx, jeton.Digest("rt-0"))
		ok(t, "get", err)

		replay := newToken("rt-2", f.ID, at(time.Hour))
		is(t, "rotate used token", s.RotateRefreshToken(ctx, jeton.Digest("rt-0"), replay, at(time.Hour)), jeton.ErrAlreadyUsed)
		after, _, err := s.GetRefreshToken(ctx, jeton.Digest("rt-0"))
		ok(t, "get", err)
		same(t, "used token after replay", after, before)
		_, _, err = s.GetRefreshToken(ctx, replay.Digest)
		is(t, "replay's successor", err, jeton.ErrNotFound)

		is(t, "rotate unknown", s.RotateRefreshToken(ctx, jeton.Digest("nope"), newToken("rt-3", f.ID, at(time.Hour)), at(time.Hour)), jeton.ErrNotFound)
		_, _, err = s.GetRefreshToken(ctx, jeton.Digest("rt-3"))
		is(t, "unknown's successor", err, jeton.ErrNotFound)
	}},
	{"Refresh/RevokeFamily", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		f := seedFamily(t, s, "rt-0")
		ok(t, "revoke", s.RevokeRefreshFamily(ctx, f.ID, at(time.Hour)))
		ok(t, "revoke again", s.RevokeRefreshFamily(ctx, f.ID, at(2*time.Hour)))
		_, fam, err := s.GetRefreshToken(ctx, jeton.Digest("rt-0"))
		ok(t, "get", err)
		f.RevokedAt = at(time.Hour) // the first revocation time stays
		same(t, "revoked family", fam, f)
		is(t, "revoke unknown", s.RevokeRefreshFamily(ctx, "fam-none", at(time.Hour)), jeton.ErrNotFound)
	}},
	{"Refresh/RevokeGrant", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		f := seedFamily(t, s, "rt-0")
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
		_, fam, err := s.GetRefreshToken(ctx, jeton.Digest("rt-0"))
		ok(t, "get", err)
		f.RevokedAt = at(time.Hour)
		same(t, "revoked family", fam, f)
		// A family not yet started can no longer start.
		ok(t, "revoke before start", s.RevokeGrant(ctx, rev("fam-2", time.Hour), tomb("fam-2")))
		g := newFamily("fam-2", "client-a", "inst-a")
		is(t, "start after revoke", s.CreateRefreshFamily(ctx, g, newToken("rt-2", g.ID, at(0))), jeton.ErrConflict)
		_, _, err = s.GetRefreshToken(ctx, jeton.Digest("rt-2"))
		is(t, "token of the refused family", err, jeton.ErrNotFound)
		for _, id := range []string{f.ID, "fam-2"} {
			revoked, err := s.IsRevoked(ctx, jeton.RevokeFamily, id)
			ok(t, "is revoked", err)
			same(t, "revocation of "+id+" recorded", revoked, true)
		}
	}},
	{"Refresh/ExtendUnusedOnly", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		f := seedFamily(t, s, "rt-1")
		later := at(20 * 24 * time.Hour)
		ok(t, "extend", s.ExtendRefreshToken(ctx, jeton.Digest("rt-1"), later))
		tok, _, err := s.GetRefreshToken(ctx, jeton.Digest("rt-1"))
		ok(t, "get", err)
		if !tok.ExpiresAt.Equal(later) {
			t.Errorf("expires_at %v, want %v", tok.ExpiresAt, later)
		}
		ok(t, "rotate", s.RotateRefreshToken(ctx, jeton.Digest("rt-1"), newToken("rt-2", f.ID, at(time.Minute)), at(time.Minute)))
		is(t, "extend a used token", s.ExtendRefreshToken(ctx, jeton.Digest("rt-1"), later), jeton.ErrNotFound)
		is(t, "extend an unknown token", s.ExtendRefreshToken(ctx, jeton.Digest("nope"), later), jeton.ErrNotFound)
	}},
}

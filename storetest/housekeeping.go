package storetest

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var housekeepingTests = []subtest{
	{"Janitor/DeleteExpiredInBatches", func(t *testing.T, s jeton.Store) { deleteExpiredInBatches(t, s, familyKeys) }},
	{"Janitor/DeleteExpiredInBatches/Legacy", func(t *testing.T, s jeton.Store) { deleteExpiredInBatches(t, s, legacyKeys) }},
	{"Janitor/BatchBound", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		for i := range 5 {
			ok(t, "assertion", s.UseAssertionID(ctx, "client-a", "jti-"+string(rune('a'+i)), at(0), at(-time.Hour)))
		}
		n, err := s.DeleteExpired(ctx, at(time.Hour), 2)
		ok(t, "batch", err)
		if n != 2 {
			t.Errorf("a batch of 2 removed %d rows", n)
		}
	}},
}

// deleteExpiredInBatches: the janitor removes what expired, in bounded batches, and
// nothing live; the refresh families are named as k names them.
func deleteExpiredInBatches(t *testing.T, s jeton.Store, k keys) {
	ctx := t.Context()
	seed(t, s, "inst-a", "client-a")
	now := at(time.Hour)
	// Three of each kind expired (at or before now), one still live.
	for i, exp := range []time.Duration{-time.Hour, -time.Minute, 0, time.Minute} {
		id := string(rune('a' + i))
		ok(t, "assertion", s.UseAssertionID(ctx, "client-a", "jti-"+id, now.Add(exp), at(0)))
		ok(t, "revocation", s.Revoke(ctx, jeton.Revocation{Kind: jeton.RevokeJTI, ID: "r-" + id, InstitutionID: "inst-a", RevokedAt: at(0), ExpiresAt: now.Add(exp)}))
		ok(t, "access token", s.CreateAccessToken(ctx, jeton.AccessToken{Digest: jeton.Digest("at-" + id), JTI: id, ClientID: "client-a",
			InstitutionID: "inst-a", Subject: "client-a", IssuedAt: at(0), ExpiresAt: now.Add(exp)}))
		fam := newFamily(k.fam("fam-"+id), "client-a", "inst-a")
		fam.ExpiresAt = now.Add(exp)
		ok(t, "family", s.CreateRefreshFamily(ctx, fam, jeton.RefreshToken{Digest: k.key("rt-"+id, fam.ID),
			FamilyID: fam.ID, CreatedAt: at(0), ExpiresAt: now.Add(time.Hour)}))
	}
	// A live family whose token idled out: only the token goes.
	live := newFamily(k.fam("fam-live"), "client-a", "inst-a")
	ok(t, "live family", s.CreateRefreshFamily(ctx, live, jeton.RefreshToken{Digest: k.key("rt-idle", live.ID),
		FamilyID: live.ID, CreatedAt: at(0), ExpiresAt: now}))

	total, n := 0, -1
	for n != 0 {
		var err error
		n, err = s.DeleteExpired(ctx, now, 2)
		ok(t, "next batch", err)
		total += n
	}
	// 3 assertion ids + 3 revocations + 3 access tokens + the idle token + 3 families
	// (whose tokens go with them, by cascade, uncounted).
	if total != 13 {
		t.Errorf("removed %d rows in all, want 13", total)
	}
	// A replay carries its assertion's own expiry (jeton.AssertionStore).
	ok(t, "expired assertion id is reusable", s.UseAssertionID(ctx, "client-a", "jti-a", now.Add(-time.Hour), now))
	is(t, "live assertion id still blocks", s.UseAssertionID(ctx, "client-a", "jti-d", now.Add(time.Minute), now), jeton.ErrAlreadyUsed)
	for _, id := range []string{"a", "b", "c"} {
		if r, _ := s.IsRevoked(ctx, jeton.RevokeJTI, "r-"+id); r {
			t.Errorf("expired revocation r-%s kept", id)
		}
		_, err := s.GetAccessToken(ctx, jeton.Digest("at-"+id))
		is(t, "expired access token", err, jeton.ErrNotFound)
		_, _, err = s.GetRefreshToken(ctx, k.key("rt-"+id, k.fam("fam-"+id)))
		is(t, "token of an expired family", err, jeton.ErrNotFound)
	}
	if r, _ := s.IsRevoked(ctx, jeton.RevokeJTI, "r-d"); !r {
		t.Error("live revocation deleted")
	}
	_, err := s.GetAccessToken(ctx, jeton.Digest("at-d"))
	ok(t, "live access token kept", err)
	_, _, err = s.GetRefreshToken(ctx, k.key("rt-d", k.fam("fam-d")))
	ok(t, "live family's token kept", err)
	_, _, err = s.GetRefreshToken(ctx, k.key("rt-idle", live.ID))
	is(t, "idle-expired token", err, jeton.ErrNotFound)
}

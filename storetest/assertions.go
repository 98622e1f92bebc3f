package storetest

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var assertionTests = []subtest{
	{"Assertion/ReplayAndExpiry", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		exp := at(5 * time.Minute)
		ok(t, "first use", s.UseAssertionID(ctx, "client-a", "jti-1", exp, at(0)))
		is(t, "replay", s.UseAssertionID(ctx, "client-a", "jti-1", exp, at(time.Minute)), jeton.ErrAlreadyUsed)
		is(t, "replay just before expiry", s.UseAssertionID(ctx, "client-a", "jti-1", exp, exp.Add(-time.Microsecond)), jeton.ErrAlreadyUsed)
		ok(t, "same jti, other client", s.UseAssertionID(ctx, "client-b", "jti-1", exp, at(time.Minute)))
		ok(t, "other jti", s.UseAssertionID(ctx, "client-a", "jti-2", exp, at(time.Minute)))
		// A replay is the same signed assertion, so its exp is the same; the same jti
		// with another exp was signed anew by the key's holder and is another assertion
		// (jeton.AssertionStore).
		ok(t, "same jti, other expiry", s.UseAssertionID(ctx, "client-a", "jti-1", exp.Add(time.Second), at(time.Minute)))
		is(t, "replay of the other", s.UseAssertionID(ctx, "client-a", "jti-1", exp.Add(time.Second), at(2*time.Minute)), jeton.ErrAlreadyUsed)

		// At its expiry the record no longer counts ("expiry after now" does) and is
		// replaced by the new one, which then blocks replays until its own expiry.
		exp2 := at(time.Hour)
		ok(t, "reuse after expiry", s.UseAssertionID(ctx, "client-a", "jti-1", exp2, exp))
		is(t, "replay of replacement", s.UseAssertionID(ctx, "client-a", "jti-1", exp2, at(30*time.Minute)), jeton.ErrAlreadyUsed)
		ok(t, "reuse after second expiry", s.UseAssertionID(ctx, "client-a", "jti-1", at(2*time.Hour), exp2.Add(time.Second)))
	}},
}

var revocationTests = []subtest{
	{"Revocation/IdempotentAndScopedByKind", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		r := jeton.Revocation{Kind: jeton.RevokeJTI, ID: "at-1", InstitutionID: "inst-a", RevokedAt: at(0), ExpiresAt: at(time.Hour)}
		revoked, err := s.IsRevoked(ctx, jeton.RevokeJTI, "at-1")
		ok(t, "is revoked before", err)
		if revoked {
			t.Error("at-1 revoked before Revoke")
		}
		ok(t, "revoke", s.Revoke(ctx, r))
		r2 := r
		r2.RevokedAt = at(time.Minute)
		ok(t, "revoke again", s.Revoke(ctx, r2))
		check := func(kind jeton.RevocationKind, id string, want bool) {
			t.Helper()
			got, err := s.IsRevoked(ctx, kind, id)
			ok(t, "is revoked", err)
			if got != want {
				t.Errorf("IsRevoked(%s, %s) = %v, want %v", kind, id, got, want)
			}
		}
		check(jeton.RevokeJTI, "at-1", true)
		check(jeton.RevokeFamily, "at-1", false)
		check(jeton.RevokeJTI, "at-2", false)
		ok(t, "revoke family", s.Revoke(ctx, jeton.Revocation{Kind: jeton.RevokeFamily, ID: "at-1", RevokedAt: at(0), ExpiresAt: at(time.Hour)}))
		check(jeton.RevokeFamily, "at-1", true)
	}},
}

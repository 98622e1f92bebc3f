package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// claimTests prove ClaimRefreshToken: it rotates exactly when RefreshClaim.Accepts
// holds, and otherwise changes nothing and says ErrNotFound, on both key layouts.
var claimTests = append(claimTestsWith(familyKeys), claimTestsWith(legacyKeys)...)

// claimCase changes the seeded family, customer or claim so that the claim must fail.
type claimCase struct {
	name   string
	family func(f *jeton.RefreshFamily)
	prep   func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim)
}

var claimRefusals = []claimCase{
	{name: "Unknown", prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) {
		c.Key = jeton.RefreshKey(f.ID, "nope")
	}},
	{name: "Used", prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) {
		ok(t, "rotate", s.RotateRefreshToken(t.Context(), c.Key, newToken("rt-other", f.ID, at(time.Minute)), at(time.Minute)))
	}},
	{name: "TokenExpired", prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) {
		c.Now = at(14 * 24 * time.Hour) // the token's idle expiry, exactly
	}},
	{name: "FamilyExpired", family: func(f *jeton.RefreshFamily) { f.ExpiresAt = at(time.Hour) }},
	{name: "FamilyRevoked", prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) {
		ok(t, "revoke", s.RevokeRefreshFamily(t.Context(), f.ID, at(time.Minute)))
	}},
	{name: "OtherClient", prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) {
		c.ClientID = "client-b"
	}},
	{name: "OtherInstitution", prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) {
		c.Institutions = []string{"inst-b"}
	}},
	{name: "ScopeWidened", prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) {
		c.Scope = []string{"accounts", "payments"}
	}},
	{name: "CustomerDisabled", prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) {
		cust := newCustomer("cust-1", "inst-a", "ada")
		cust.Status = jeton.CustomerDisabled
		ok(t, "disable customer", s.UpdateCustomer(t.Context(), cust))
	}},
	{name: "CustomerLocked", prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) {
		c.Now = at(15*time.Minute - time.Second) // newCustomer is locked until 15 min
	}},
	{name: "CustomerMissing", family: func(f *jeton.RefreshFamily) { f.Subject = "cust-9" }},
	{name: "DPoPBoundWithoutProof", family: func(f *jeton.RefreshFamily) { f.DPoPJKT = "jkt-a" }},
	{name: "DPoPBoundOtherKey", family: func(f *jeton.RefreshFamily) { f.DPoPJKT = "jkt-a" },
		prep: func(t *testing.T, s jeton.Store, f jeton.RefreshFamily, c *jeton.RefreshClaim) { c.JKT = "jkt-b" }},
}

func claimTestsWith(k keys) []subtest {
	tests := []subtest{
		{"RefreshClaim/" + k.prefix + "Rotates", func(t *testing.T, s jeton.Store) {
			f, c := seedClaim(t, s, k, nil)
			tok, fam, exp, err := s.ClaimRefreshToken(t.Context(), c)
			ok(t, "claim", err)
			same(t, "token as it was", tok, newToken("rt-0", f.ID, at(0)))
			same(t, "family", fam, f)
			same(t, "successor's expiry", exp, c.Next.ExpiresAt)
			checkClaimed(t, s, c, exp)
		}},
		{"RefreshClaim/" + k.prefix + "CapsAtFamilyExpiry", func(t *testing.T, s jeton.Store) {
			f, c := seedClaim(t, s, k, nil)
			c.Next.ExpiresAt = f.ExpiresAt.Add(time.Hour)
			_, _, exp, err := s.ClaimRefreshToken(t.Context(), c)
			ok(t, "claim", err)
			same(t, "successor's expiry", exp, f.ExpiresAt)
			checkClaimed(t, s, c, f.ExpiresAt)
		}},
		{"RefreshClaim/" + k.prefix + "ReturnsAuthorizationDetails", func(t *testing.T, s jeton.Store) {
			details := json.RawMessage(`[{"type":"payment_initiation","instructedAmount":{"amount":"10.00","currency":"EUR"}}]`)
			_, c := seedClaim(t, s, k, func(f *jeton.RefreshFamily) { f.AuthorizationDetails = details })
			_, fam, _, err := s.ClaimRefreshToken(t.Context(), c)
			ok(t, "claim", err)
			var got, want any
			if json.Unmarshal(fam.AuthorizationDetails, &got) != nil || json.Unmarshal(details, &want) != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("authorization_details: got %s, want %s", fam.AuthorizationDetails, details)
			}
		}},
		{"RefreshClaim/" + k.prefix + "DPoPBoundWithItsKey", func(t *testing.T, s jeton.Store) {
			_, c := seedClaim(t, s, k, func(f *jeton.RefreshFamily) { f.DPoPJKT = "jkt-a" })
			c.JKT = "jkt-a"
			_, fam, exp, err := s.ClaimRefreshToken(t.Context(), c)
			ok(t, "claim", err)
			same(t, "family's key", fam.DPoPJKT, "jkt-a")
			checkClaimed(t, s, c, exp)
		}},
		{"RefreshClaim/" + k.prefix + "UnboundFamilyWithAProof", func(t *testing.T, s jeton.Store) {
			_, c := seedClaim(t, s, k, nil)
			c.JKT = "jkt-a" // a confidential client's proof binds the access token only
			_, _, _, err := s.ClaimRefreshToken(t.Context(), c)
			ok(t, "claim", err)
		}},
		{"RefreshClaim/" + k.prefix + "ClientsOwnFamilyNeedsNoCustomer", func(t *testing.T, s jeton.Store) {
			_, c := seedClaim(t, s, k, func(f *jeton.RefreshFamily) { f.Subject = f.ClientID })
			_, _, exp, err := s.ClaimRefreshToken(t.Context(), c)
			ok(t, "claim", err)
			checkClaimed(t, s, c, exp)
		}},
		{"RefreshClaim/" + k.prefix + "NilScopeIsTheFamilys", func(t *testing.T, s jeton.Store) {
			_, c := seedClaim(t, s, k, nil)
			c.Scope = nil
			_, _, _, err := s.ClaimRefreshToken(t.Context(), c)
			ok(t, "claim", err)
		}},
		{"Race/ClaimRefreshToken/" + k.prefix, func(t *testing.T, s jeton.Store) { raceClaim(t, s, k) }},
	}
	for _, cc := range claimRefusals {
		tests = append(tests, subtest{"RefreshClaim/" + k.prefix + "Refused/" + cc.name, func(t *testing.T, s jeton.Store) {
			f, c := seedClaim(t, s, k, cc.family)
			if cc.prep != nil {
				cc.prep(t, s, f, &c)
			}
			before, _, beforeErr := s.GetRefreshToken(t.Context(), c.Key)
			_, _, _, err := s.ClaimRefreshToken(t.Context(), c)
			is(t, "claim", err, jeton.ErrNotFound)
			after, _, afterErr := s.GetRefreshToken(t.Context(), c.Key)
			if (beforeErr == nil) != (afterErr == nil) {
				t.Fatalf("token read before %v, after %v", beforeErr, afterErr)
			}
			same(t, "token after a refused claim", after, before)
			_, _, err = s.GetRefreshToken(t.Context(), c.Next.Digest)
			is(t, "successor of a refused claim", err, jeton.ErrNotFound)
		}})
	}
	return tests
}

// seedClaim seeds inst-a, client-a, client-b, customer cust-1 (active, locked until
// 15 min) and family fam-1 of client-a for cust-1 (changed by family) with token rt-0,
// and returns the family and a claim that holds at 1 h.
func seedClaim(t *testing.T, s jeton.Store, k keys, family func(f *jeton.RefreshFamily)) (jeton.RefreshFamily, jeton.RefreshClaim) {
	t.Helper()
	ctx := t.Context()
	seed(t, s, "inst-a", "client-a")
	ok(t, "create client-b", s.CreateClient(ctx, newClient("client-b", "inst-a")))
	ok(t, "create customer", s.CreateCustomer(ctx, newCustomer("cust-1", "inst-a", "ada")))
	f := newFamily(k.fam("fam-1"), "client-a", "inst-a")
	f.DPoPJKT = "" // a confidential client's family: unbound unless a case binds it
	if family != nil {
		family(&f)
	}
	ok(t, "create family", s.CreateRefreshFamily(ctx, f, newToken("rt-0", f.ID, at(0))))
	return f, jeton.RefreshClaim{
		Key: k.key("rt-0", f.ID), Next: newToken("rt-1", f.ID, at(time.Hour)),
		ClientID: "client-a", Institutions: []string{"inst-b", "inst-a"},
		Scope: []string{"accounts"}, Now: at(time.Hour),
	}
}

// checkClaimed checks that c's token is used at c.Now with c.Next as successor, and
// that the successor is stored, unused, expiring at exp.
func checkClaimed(t *testing.T, s jeton.Store, c jeton.RefreshClaim, exp time.Time) {
	t.Helper()
	old, _, err := s.GetRefreshToken(t.Context(), c.Key)
	ok(t, "get claimed", err)
	same(t, "used at", old.UsedAt, c.Now)
	same(t, "successor digest", old.SuccessorDigest, c.Next.Digest)
	next, _, err := s.GetRefreshToken(t.Context(), c.Next.Digest)
	ok(t, "get successor", err)
	want := c.Next
	want.ExpiresAt = exp
	same(t, "successor", next, want)
}

// raceClaim claims one token from many goroutines, each with its own successor:
// exactly one wins and only its successor exists.
func raceClaim(t *testing.T, s jeton.Store, k keys) {
	f, c := seedClaim(t, s, k, nil)
	claim := func(i int) jeton.RefreshClaim {
		ci := c
		ci.Next = newToken(fmt.Sprintf("rt-1-%d", i), f.ID, at(time.Hour))
		return ci
	}
	errs := race(func(i int) error {
		_, _, _, err := s.ClaimRefreshToken(t.Context(), claim(i))
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("racers %d and %d both claimed", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, jeton.ErrNotFound):
			t.Errorf("racer %d: got %v, want nil or ErrNotFound", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer claimed")
	}
	checkClaimed(t, s, claim(winner), c.Next.ExpiresAt)
	for i := range racers {
		if _, _, err := s.GetRefreshToken(t.Context(), claim(i).Next.Digest); i != winner && !errors.Is(err, jeton.ErrNotFound) {
			t.Errorf("loser %d's successor: got %v, want ErrNotFound", i, err)
		}
	}
}

package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func newCode(secret string) jeton.AuthorizationCode {
	return jeton.AuthorizationCode{
		Digest: jeton.Digest(secret), ClientID: "client-a", InstitutionID: "inst-a",
		Subject: "cust-1", RedirectURI: "https://app.example/cb",
		Scope: []string{"openid", "profile"}, Nonce: "n-0S6", CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		AuthTime: at(-time.Minute), GrantID: "grant-" + secret, DPoPJKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
		AuthorizationDetails: json.RawMessage(`[{"type":"payment_initiation","instructedAmount":{"amount":"12.50","currency":"EUR"}}]`),
		CreatedAt:            at(0), ExpiresAt: at(time.Minute),
	}
}

func newPushed(secret string) jeton.PushedRequest {
	return jeton.PushedRequest{
		Digest: jeton.Digest(secret), ClientID: "client-a",
		Params:    map[string][]string{"response_type": {"code"}, "scope": {"openid email"}},
		Signed:    true,
		CreatedAt: at(0), ExpiresAt: at(time.Minute),
	}
}

var oidcTests = []subtest{
	{"OIDC/CodeRoundTripAndSingleUse", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		c := newCode("code-1")
		ok(t, "create", s.CreateAuthorizationCode(ctx, c))
		is(t, "duplicate", s.CreateAuthorizationCode(ctx, c), jeton.ErrConflict)
		got, err := s.ConsumeAuthorizationCode(ctx, c.Digest, "client-a", at(time.Second))
		ok(t, "consume", err)
		want := c
		want.UsedAt = at(time.Second)
		same(t, "consumed code", got, want)
		got, err = s.ConsumeAuthorizationCode(ctx, c.Digest, "client-a", at(2*time.Second))
		is(t, "second use", err, jeton.ErrAlreadyUsed)
		same(t, "code returned with the replay", got, want)
		_, err = s.ConsumeAuthorizationCode(ctx, jeton.Digest("nope"), "client-a", at(time.Second))
		is(t, "unknown", err, jeton.ErrNotFound)
		bad := newCode("code-2")
		bad.ClientID = "client-x"
		is(t, "unknown client", s.CreateAuthorizationCode(ctx, bad), jeton.ErrNotFound)
		bare := newCode("code-3")
		bare.Scope, bare.Nonce, bare.CodeChallenge, bare.AuthTime, bare.AuthorizationDetails = nil, "", "", time.Time{}, nil
		ok(t, "create bare", s.CreateAuthorizationCode(ctx, bare))
		got, err = s.ConsumeAuthorizationCode(ctx, bare.Digest, "client-a", at(time.Second))
		ok(t, "consume bare", err)
		if got.Scope == nil || len(got.Scope) != 0 || !got.AuthTime.IsZero() || got.AuthorizationDetails != nil {
			t.Errorf("bare code read back as %+v", got)
		}
	}},
	{"OIDC/PushedRequestSingleUseAndExpiry", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "client b", s.CreateClient(ctx, newClient("client-b", "inst-a")))
		p := newPushed("par-1")
		ok(t, "push", s.PushAuthorizationRequest(ctx, p))
		// RFC 9126 §2.2: bound to the client that pushed it. Another client's attempt
		// is refused and leaves the request usable.
		_, err := s.ConsumePushedRequest(ctx, p.Digest, "client-b", at(time.Second))
		is(t, "another client", err, jeton.ErrNotFound)
		got, err := s.ConsumePushedRequest(ctx, p.Digest, "client-a", at(time.Second))
		ok(t, "consume", err)
		same(t, "pushed request", got, p)
		_, err = s.ConsumePushedRequest(ctx, p.Digest, "client-a", at(time.Second))
		is(t, "second use", err, jeton.ErrNotFound)
		p2 := newPushed("par-2")
		ok(t, "push 2", s.PushAuthorizationRequest(ctx, p2))
		_, err = s.ConsumePushedRequest(ctx, p2.Digest, "client-a", p2.ExpiresAt)
		is(t, "at expiry", err, jeton.ErrNotFound)
		p3 := newPushed("par-3")
		p3.ClientID = "client-x"
		is(t, "unknown client", s.PushAuthorizationRequest(ctx, p3), jeton.ErrNotFound)
	}},
	{"OIDC/Consents", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "client b", s.CreateClient(ctx, newClient("client-b", "inst-a")))
		ok(t, "customer", s.CreateCustomer(ctx, newCustomer("cust-1", "inst-a", "ada")))
		_, err := s.GetConsent(ctx, "inst-a", "cust-1", "client-a")
		is(t, "none yet", err, jeton.ErrNotFound)
		c := jeton.Consent{InstitutionID: "inst-a", CustomerID: "cust-1", ClientID: "client-a", Scope: []string{"openid"}, GrantedAt: at(0)}
		ok(t, "save", s.SaveConsent(ctx, c))
		c.Scope, c.GrantedAt = []string{"openid", "email"}, at(time.Minute)
		c.AuthorizationDetails = json.RawMessage(`[{"type":"payment_initiation","creditorName":"Merchant A"}]`)
		ok(t, "replace", s.SaveConsent(ctx, c))
		got, err := s.GetConsent(ctx, "inst-a", "cust-1", "client-a")
		ok(t, "get", err)
		same(t, "consent", got, c)
		_, err = s.GetConsent(ctx, "inst-b", "cust-1", "client-a")
		is(t, "other institution", err, jeton.ErrNotFound)
		c2 := c
		c2.ClientID = "client-b"
		ok(t, "save b", s.SaveConsent(ctx, c2))
		list, err := s.ListConsents(ctx, "inst-a", "cust-1")
		ok(t, "list", err)
		same(t, "list", list, []jeton.Consent{c, c2})
		n, err := s.RevokeConsents(ctx, "inst-a", "cust-1", "client-a")
		ok(t, "revoke one", err)
		same(t, "revoked one", n, 1)
		n, err = s.RevokeConsents(ctx, "inst-a", "cust-1", "")
		ok(t, "revoke all", err)
		same(t, "revoked rest", n, 1)
		list, err = s.ListConsents(ctx, "inst-a", "cust-1")
		ok(t, "list after", err)
		same(t, "list after", list, []jeton.Consent{})
	}},
	{"OIDC/Branding", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		_, err := s.GetBranding(ctx, "inst-a")
		is(t, "none yet", err, jeton.ErrNotFound)
		b := jeton.Branding{InstitutionID: "inst-a", DisplayName: "Bank A", LogoURL: "https://a.example/logo.svg", AccentColor: "#0055aa", UpdatedAt: at(0)}
		ok(t, "put", s.PutBranding(ctx, b))
		b.AccentColor, b.UpdatedAt = "#112233", at(time.Minute)
		ok(t, "replace", s.PutBranding(ctx, b))
		got, err := s.GetBranding(ctx, "inst-a")
		ok(t, "get", err)
		same(t, "branding", got, b)
		is(t, "unknown institution", s.PutBranding(ctx, jeton.Branding{InstitutionID: "nope"}), jeton.ErrNotFound)
	}},
	{"OIDC/ExpiredDeleted", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "code", s.CreateAuthorizationCode(ctx, newCode("code-1")))
		ok(t, "par", s.PushAuthorizationRequest(ctx, newPushed("par-1")))
		n, err := s.DeleteExpired(ctx, at(time.Minute), 100)
		ok(t, "delete expired", err)
		same(t, "deleted", n, 2)
		_, err = s.ConsumeAuthorizationCode(ctx, jeton.Digest("code-1"), "client-a", at(time.Minute))
		is(t, "code gone", err, jeton.ErrNotFound)
	}},
	{"OIDC/CodeOfAnotherClient", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "client b", s.CreateClient(ctx, newClient("client-b", "inst-a")))
		c := newCode("code-1")
		ok(t, "create", s.CreateAuthorizationCode(ctx, c))
		got, err := s.ConsumeAuthorizationCode(ctx, c.Digest, "client-b", at(time.Second))
		is(t, "unused code, other client", err, jeton.ErrWrongClient)
		same(t, "nothing handed to the other client", got, jeton.AuthorizationCode{})
		got, err = s.ConsumeAuthorizationCode(ctx, c.Digest, "client-a", at(2*time.Second))
		ok(t, "owner after the other client", err)
		want := c
		want.UsedAt = at(2 * time.Second)
		same(t, "owner's code", got, want)
		_, err = s.ConsumeAuthorizationCode(ctx, c.Digest, "client-b", at(3*time.Second))
		is(t, "used code, other client", err, jeton.ErrWrongClient)
		got, err = s.ConsumeAuthorizationCode(ctx, c.Digest, "client-a", at(4*time.Second))
		is(t, "owner's replay", err, jeton.ErrAlreadyUsed)
		same(t, "first use kept", got, want)
	}},
	{"Race/ConsumeAuthorizationCode", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "client b", s.CreateClient(ctx, newClient("client-b", "inst-a")))
		ok(t, "create", s.CreateAuthorizationCode(ctx, newCode("code-1")))
		// Odd racers are another client: they all get ErrWrongClient (counted here as
		// losers) and never take the code from its owner.
		errs := race(func(i int) error {
			client := "client-a"
			if i%2 == 1 {
				client = "client-b"
			}
			_, err := s.ConsumeAuthorizationCode(ctx, jeton.Digest("code-1"), client, at(time.Duration(i)*time.Millisecond))
			switch {
			case i%2 == 0 || err == nil:
				return err
			case errors.Is(err, jeton.ErrWrongClient):
				return fmt.Errorf("%w (%w)", jeton.ErrAlreadyUsed, err)
			}
			return fmt.Errorf("other client: got %v, want ErrWrongClient", err)
		})
		if w := oneWinner(t, errs); w%2 == 1 {
			t.Errorf("racer %d of the other client won", w)
		}
	}},
	{"Race/CodeReplay", func(t *testing.T, s jeton.Store) { RaceCodeReplay(t, s) }},
	{"Race/ConsumePushedRequest", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "push", s.PushAuthorizationRequest(ctx, newPushed("par-1")))
		errs := race(func(int) error {
			_, err := s.ConsumePushedRequest(ctx, jeton.Digest("par-1"), "client-a", at(time.Second))
			if errors.Is(err, jeton.ErrNotFound) {
				return fmt.Errorf("%w (%w)", jeton.ErrAlreadyUsed, err)
			}
			return err
		})
		oneWinner(t, errs)
	}},
	{"Race/ConsumePushedRequestForeignClients", racePushedForeign},
}

// racePushedForeign: racers of the pushing client and of another client (every other
// goroutine) present one request_uri at once. Exactly one of the pushing client's
// racers gets it; no foreign racer ever does, nor burns it: the store's condition
// includes the client (RFC 9126 §2.2), so a foreign attempt deletes nothing.
func racePushedForeign(t *testing.T, s jeton.Store) {
	ctx := t.Context()
	seed(t, s, "inst-a", "client-a")
	ok(t, "client b", s.CreateClient(ctx, newClient("client-b", "inst-a")))
	ok(t, "push", s.PushAuthorizationRequest(ctx, newPushed("par-foreign")))
	for i, err := range race(func(int) error {
		_, err := s.ConsumePushedRequest(ctx, jeton.Digest("par-foreign"), "client-b", at(time.Second))
		return err
	}) {
		is(t, fmt.Sprintf("foreign racer %d", i), err, jeton.ErrNotFound)
	}
	_, err := s.ConsumePushedRequest(ctx, jeton.Digest("par-foreign"), "client-a", at(time.Second))
	ok(t, "the pushing client after foreign racers", err)
	client := func(i int) string { return []string{"client-a", "client-b"}[i%2] }
	for round := range 5 {
		secret := fmt.Sprintf("par-%d", round)
		ok(t, "push", s.PushAuthorizationRequest(ctx, newPushed(secret)))
		errs := race(func(i int) error {
			p, err := s.ConsumePushedRequest(ctx, jeton.Digest(secret), client(i), at(time.Second))
			switch {
			case err == nil && client(i) != p.ClientID:
				return fmt.Errorf("%s consumed %s's request", client(i), p.ClientID)
			case errors.Is(err, jeton.ErrNotFound):
				return fmt.Errorf("%w (%w)", jeton.ErrAlreadyUsed, err)
			}
			return err
		})
		if w := oneWinner(t, errs); w%2 == 1 {
			t.Errorf("round %d: foreign racer %d won", round, w)
		}
	}
}

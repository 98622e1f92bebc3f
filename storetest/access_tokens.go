package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var accessTokenTests = []subtest{
	{"AccessToken/RoundTripConflictNotFound", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		full := jeton.AccessToken{
			Digest: jeton.Digest("opaque-1"), JTI: "jti-1", ClientID: "client-a", InstitutionID: "inst-a",
			Subject: "customer-1", Scope: []string{"accounts", "payments"}, Audience: []string{"https://api.example"},
			FamilyID: "fam-1", IssuedAt: at(0), ExpiresAt: at(time.Hour),
			AuthorizationDetails: json.RawMessage(`[{"type":"account_information","actions":["read"]}]`),
			Confirmation:         jeton.Confirmation{JKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", X5TS256: "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"},
		}
		ok(t, "create", s.CreateAccessToken(ctx, full))
		got, err := s.GetAccessToken(ctx, full.Digest)
		ok(t, "get", err)
		same(t, "access token", got, full)

		bare := jeton.AccessToken{Digest: jeton.Digest("opaque-2"), JTI: "jti-2", ClientID: "client-a",
			InstitutionID: "inst-a", Subject: "client-a", IssuedAt: at(0), ExpiresAt: at(time.Minute)}
		ok(t, "create bare", s.CreateAccessToken(ctx, bare))
		got, err = s.GetAccessToken(ctx, bare.Digest)
		ok(t, "get bare", err)
		bare.Scope, bare.Audience = []string{}, []string{}
		same(t, "bare access token", got, bare)

		is(t, "duplicate digest", s.CreateAccessToken(ctx, full), jeton.ErrConflict)
		_, err = s.GetAccessToken(ctx, jeton.Digest("unknown"))
		is(t, "unknown digest", err, jeton.ErrNotFound)
		orphan := full
		orphan.Digest, orphan.ClientID = jeton.Digest("opaque-3"), "no-such-client"
		is(t, "unknown client", s.CreateAccessToken(ctx, orphan), jeton.ErrNotFound)
	}},
}

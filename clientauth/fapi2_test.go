package clientauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// futureCase is a JWT dated ahead of the server's clock: its iat or its nbf.
type futureCase struct {
	name  string
	ahead time.Duration
	nbf   bool // date nbf (iat stays now) rather than iat
	ok    bool
}

// fapi2FutureCases: FAPI 2.0 §5.3.2.1 has a FAPI 2.0 client's JWTs accepted up to
// 10 s ahead and refused from 60 s ahead, though the default --clock-skew (60 s)
// accepts exactly 60 s for other clients.
var fapi2FutureCases = []futureCase{
	{"iat +10 s", 10 * time.Second, false, true},
	{"iat +59 s", 59 * time.Second, false, true},
	{"iat +60 s", 60 * time.Second, false, false},
	{"iat +90 s", 90 * time.Second, false, false},
	{"nbf +10 s", 10 * time.Second, true, true},
	{"nbf +60 s", 60 * time.Second, true, false},
}

// otherFutureCases: a client without the profile keeps the operator's skew.
var otherFutureCases = []futureCase{
	{"iat +60 s", 60 * time.Second, false, true},
	{"nbf +60 s", 60 * time.Second, true, true},
	{"iat +61 s", 61 * time.Second, false, false},
}

// TestAssertionFAPI2FutureIAT: a FAPI 2.0 client's assertion (own profile, or its
// institution's default) may date iat and nbf at most 59 s ahead under the default
// 60 s skew; another client's, up to the skew.
func TestAssertionFAPI2FutureIAT(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.clock()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.store.CreateInstitution(ctx, jeton.Institution{ID: "fapi-inst", Name: "FAPI Bank", DefaultProfile: fapi2.Name, CreatedAt: now, UpdatedAt: now}))
	es, err := f.store.GetClient(ctx, "es-client")
	must(err)
	for _, c := range []struct{ id, inst, profile string }{{"fapi-own", "inst", fapi2.Name}, {"fapi-inherits", "fapi-inst", ""}} {
		es.ID, es.Name, es.InstitutionID, es.Institutions, es.Profile = c.id, c.id, c.inst, []string{c.inst}, c.profile
		must(f.store.CreateClient(ctx, es))
	}
	run := func(client string, cases []futureCase) {
		for _, tc := range cases {
			cl := valid(client, now)
			if tc.nbf {
				cl.Nbf = unix(now.Add(tc.ahead))
			} else {
				cl.Iat = unix(now.Add(tc.ahead))
			}
			_, err := f.authenticate(client, sign(t, jose.ES256, ecA, "ec-1", nil, cl))
			switch {
			case tc.ok && err != nil:
				t.Errorf("%s, %s: refused: %v", client, tc.name, err)
			case !tc.ok && err == nil:
				t.Errorf("%s, %s: accepted", client, tc.name)
			case !tc.ok && reasonOf(t, err) != jeton.ReasonBadAssertion:
				t.Errorf("%s, %s: %v, want a bad assertion", client, tc.name, err)
			}
		}
	}
	run("fapi-own", fapi2FutureCases)
	run("fapi-inherits", fapi2FutureCases)
	run("es-client", otherFutureCases)
}

// TestRequestObjectFAPI2FutureIAT: the same bounds for request objects.
func TestRequestObjectFAPI2FutureIAT(t *testing.T) {
	w := newROWorld(t, sqlitetest.New(t))
	ctx := context.Background()
	run := func(c *jeton.Client, cases []futureCase) {
		for _, tc := range cases {
			claims := w.claims()
			if tc.nbf {
				claims["nbf"] = w.now.Add(tc.ahead).Unix()
			} else {
				claims["iat"] = w.now.Add(tc.ahead).Unix()
			}
			_, err := w.v.Verify(ctx, c, signRO(t, w.key, jose.ES256, "", claims))
			switch {
			case tc.ok && err != nil:
				t.Errorf("profile %q, %s: refused: %v", c.EffectiveProfile(), tc.name, err)
			case !tc.ok && (err == nil || jeton.AsError(err).Code != jeton.CodeInvalidRequestObject):
				t.Errorf("profile %q, %s: %v, want invalid_request_object", c.EffectiveProfile(), tc.name, err)
			}
		}
	}
	own, inherits := w.client, w.client
	own.Profile, inherits.InstitutionProfile = fapi2.Name, fapi2.Name
	run(&own, fapi2FutureCases)
	run(&inherits, fapi2FutureCases)
	run(&w.client, otherFutureCases)
}

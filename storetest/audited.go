package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// Audited is one ...Audited store method in the both-or-neither check: Prepare makes
// what the change needs, Change calls the method with ev, Applied reports whether the
// change is in the store, and Fail (nil when the method cannot fail on its own) calls
// it so that its own write fails. Event, if not nil, is the event the store appends
// for ev (a method that completes it); otherwise ev itself.
type Audited[S any] struct {
	Name    string
	Prepare func(t *testing.T, s S)
	Change  func(ctx context.Context, s S, ev jeton.AuditEvent) error
	Applied func(t *testing.T, s S) bool
	Fail    func(ctx context.Context, s S, ev jeton.AuditEvent) error
	Event   func(ev jeton.AuditEvent) jeton.AuditEvent
}

// AuditedCases proves each method writes its change and its event together or
// neither: when the event cannot be appended (its id is taken) the change is undone;
// when the change fails, no event is left; otherwise both are there.
func AuditedCases[S jeton.AuditStore](methods []Audited[S]) []Case[S] {
	cases := make([]Case[S], len(methods))
	for i, a := range methods {
		cases[i] = Case[S]{Name: "Audited/" + a.Name, Run: func(t *testing.T, s S) {
			ctx := t.Context()
			if a.Prepare != nil {
				a.Prepare(t, s)
			}
			ok(t, "append the taken event", s.AppendAudit(ctx, auditEvent("ev-taken", 0, "inst-a", "other")))
			taken := auditEvent("ev-taken", 1, "inst-a", a.Name)
			is(t, "change whose event is refused", a.Change(ctx, s, taken), jeton.ErrConflict)
			if a.Applied(t, s) {
				t.Fatal("the change was kept although its audit event was refused")
			}
			if a.Fail != nil {
				if err := a.Fail(ctx, s, auditEvent("ev-failed", 2, "inst-a", a.Name)); err == nil ||
					!(errors.Is(err, jeton.ErrNotFound) || errors.Is(err, jeton.ErrConflict)) {
					t.Fatalf("failing change: %v, want ErrNotFound or ErrConflict", err)
				}
				if hasAudit(t, s, "ev-failed") {
					t.Fatal("a failed change left its audit event")
				}
			}
			ev := auditEvent("ev-kept", 3, "inst-a", a.Name)
			ok(t, "change", a.Change(ctx, s, ev))
			if !a.Applied(t, s) {
				t.Fatal("the change is missing")
			}
			want := ev
			if a.Event != nil {
				want = a.Event(ev)
			}
			same(t, "its event", list(t, s, jeton.AuditFilter{Action: a.Name}).Events, []jeton.AuditEvent{want})
		}}
	}
	return cases
}

// exists reports whether a lookup found its row (ErrNotFound: no), failing the test on
// any other error.
func exists(t *testing.T, err error) bool {
	t.Helper()
	if errors.Is(err, jeton.ErrNotFound) {
		return false
	}
	ok(t, "look up", err)
	return true
}

// auditedTests are the core's ...Audited methods (the clients' have their own cases,
// clients_audited.go).
var auditedTests = subtests(AuditedCases([]Audited[jeton.Store]{
	{Name: "CreateInstitution",
		Prepare: func(t *testing.T, s jeton.Store) { seed(t, s, "inst-a", "") },
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.CreateInstitutionAudited(ctx, newInstitution("inst-x"), ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			_, err := s.GetInstitution(t.Context(), "inst-x")
			return exists(t, err)
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.CreateInstitutionAudited(ctx, newInstitution("inst-a"), ev)
		}},
	{Name: "UpdateInstitution",
		Prepare: func(t *testing.T, s jeton.Store) { seed(t, s, "inst-a", "") },
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			in := newInstitution("inst-a")
			in.Name = "renamed"
			return s.UpdateInstitutionAudited(ctx, in, ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			in, err := s.GetInstitution(t.Context(), "inst-a")
			ok(t, "get", err)
			return in.Name == "renamed"
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.UpdateInstitutionAudited(ctx, newInstitution("missing"), ev)
		}},
	{Name: "CreateCustomer",
		Prepare: func(t *testing.T, s jeton.Store) { seed(t, s, "inst-a", "") },
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.CreateCustomerAudited(ctx, newCustomer("cust-1", "inst-a", "ada"), ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			_, err := s.GetCustomer(t.Context(), "inst-a", "cust-1")
			return exists(t, err)
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.CreateCustomerAudited(ctx, newCustomer("cust-2", "missing", "bob"), ev)
		}},
	{Name: "UpdateCustomer",
		Prepare: func(t *testing.T, s jeton.Store) {
			seed(t, s, "inst-a", "")
			ok(t, "customer", s.CreateCustomer(t.Context(), newCustomer("cust-1", "inst-a", "ada")))
		},
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			c := newCustomer("cust-1", "inst-a", "ada")
			c.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=2$bmV3$bmV3"
			return s.UpdateCustomerAudited(ctx, c, ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			c, err := s.GetCustomer(t.Context(), "inst-a", "cust-1")
			ok(t, "get", err)
			return c.PasswordHash == "$argon2id$v=19$m=65536,t=3,p=2$bmV3$bmV3"
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.UpdateCustomerAudited(ctx, newCustomer("missing", "inst-a", "x"), ev)
		}},
	{Name: "ClearLoginFailures",
		Prepare: func(t *testing.T, s jeton.Store) {
			seed(t, s, "inst-a", "")
			ok(t, "customer", s.CreateCustomer(t.Context(), newCustomer("cust-1", "inst-a", "ada")))
		},
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.ClearLoginFailuresAudited(ctx, "inst-a", "cust-1", ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			c, err := s.GetCustomer(t.Context(), "inst-a", "cust-1")
			ok(t, "get", err)
			return c.FailedAttempts == 0 && c.LockedUntil.IsZero()
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.ClearLoginFailuresAudited(ctx, "inst-a", "missing", ev)
		}},
	{Name: "AddSigningKey",
		Prepare: func(t *testing.T, s jeton.Store) {
			ok(t, "first key", s.AddFirstSigningKey(t.Context(), newSigningKey("es-1", "ES256", at(0))))
		},
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.AddSigningKeyAudited(ctx, newSigningKey("es-2", "ES256", at(time.Hour)), at(25*time.Hour), ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			ks, err := s.ListSigningKeys(t.Context())
			ok(t, "list", err)
			return len(ks) == 2 && !ks[0].RetiredAt.IsZero()
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.AddSigningKeyAudited(ctx, newSigningKey("es-1", "ES256", at(time.Hour)), at(25*time.Hour), ev)
		}},
	{Name: "AddFirstSigningKey",
		Prepare: func(t *testing.T, s jeton.Store) {
			ok(t, "first RS256", s.AddFirstSigningKey(t.Context(), newSigningKey("rs-1", "RS256", at(0))))
		},
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.AddFirstSigningKeyAudited(ctx, newSigningKey("es-1", "ES256", at(0)), ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			ks, err := s.ListSigningKeys(t.Context())
			ok(t, "list", err)
			return len(ks) == 2
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.AddFirstSigningKeyAudited(ctx, newSigningKey("rs-2", "RS256", at(0)), ev)
		}},
	{Name: "PutCalendar",
		Prepare: func(t *testing.T, s jeton.Store) { seed(t, s, "inst-a", "") },
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.PutCalendarAudited(ctx, mustCalendar("inst-a"), ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			_, err := s.GetCalendar(t.Context(), "inst-a")
			return exists(t, err)
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.PutCalendarAudited(ctx, mustCalendar("missing"), ev)
		}},
	{Name: "DeleteCalendar",
		Prepare: func(t *testing.T, s jeton.Store) {
			seed(t, s, "inst-a", "")
			seed(t, s, "inst-b", "")
			ok(t, "calendar", s.PutCalendar(t.Context(), mustCalendar("inst-a")))
		},
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.DeleteCalendarAudited(ctx, "inst-a", ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			_, err := s.GetCalendar(t.Context(), "inst-a")
			return !exists(t, err)
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.DeleteCalendarAudited(ctx, "inst-b", ev)
		}},
	{Name: "PutBranding",
		Prepare: func(t *testing.T, s jeton.Store) { seed(t, s, "inst-a", "") },
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.PutBrandingAudited(ctx, jeton.Branding{InstitutionID: "inst-a", DisplayName: "Bank", UpdatedAt: at(0)}, ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			_, err := s.GetBranding(t.Context(), "inst-a")
			return exists(t, err)
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.PutBrandingAudited(ctx, jeton.Branding{InstitutionID: "missing", UpdatedAt: at(0)}, ev)
		}},
	{Name: "RevokeConsents",
		Prepare: func(t *testing.T, s jeton.Store) {
			seed(t, s, "inst-a", "client-a")
			ok(t, "customer", s.CreateCustomer(t.Context(), newCustomer("cust-1", "inst-a", "ada")))
			ok(t, "consent", s.SaveConsent(t.Context(), jeton.Consent{InstitutionID: "inst-a", CustomerID: "cust-1",
				ClientID: "client-a", Scope: []string{"openid"}, GrantedAt: at(0)}))
		},
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			_, err := s.RevokeConsentsAudited(ctx, "inst-a", "cust-1", "", ev)
			return err
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			_, err := s.GetConsent(t.Context(), "inst-a", "cust-1", "client-a")
			return !exists(t, err)
		},
		// Revoking nothing is no failure: it appends its event with revoked 0.
		Event: func(ev jeton.AuditEvent) jeton.AuditEvent { return jeton.WithAuditDetail(ev, "revoked", "1") }},
	{Name: "PutRateLimit",
		Prepare: func(t *testing.T, s jeton.Store) { seed(t, s, "inst-a", "") },
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.(jeton.RateLimitStore).PutRateLimitAudited(ctx, jeton.RateLimit{Scope: jeton.RateLimitInstitution, ID: "inst-a", Rate: 5, Burst: 5, UpdatedAt: at(0)}, ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			_, err := rateLimits(t, s).GetRateLimit(t.Context(), jeton.RateLimitInstitution, "inst-a")
			return exists(t, err)
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.(jeton.RateLimitStore).PutRateLimitAudited(ctx, jeton.RateLimit{Scope: jeton.RateLimitClient, ID: "missing", Rate: 5, Burst: 5, UpdatedAt: at(0)}, ev)
		}},
	{Name: "DeleteRateLimit",
		Prepare: func(t *testing.T, s jeton.Store) {
			seed(t, s, "inst-a", "")
			ok(t, "override", rateLimits(t, s).PutRateLimit(t.Context(), jeton.RateLimit{Scope: jeton.RateLimitInstitution, ID: "inst-a", Rate: 5, Burst: 5, UpdatedAt: at(0)}))
		},
		Change: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.(jeton.RateLimitStore).DeleteRateLimitAudited(ctx, jeton.RateLimitInstitution, "inst-a", ev)
		},
		Applied: func(t *testing.T, s jeton.Store) bool {
			_, err := rateLimits(t, s).GetRateLimit(t.Context(), jeton.RateLimitInstitution, "inst-a")
			return !exists(t, err)
		},
		Fail: func(ctx context.Context, s jeton.Store, ev jeton.AuditEvent) error {
			return s.(jeton.RateLimitStore).DeleteRateLimitAudited(ctx, jeton.RateLimitClient, "missing", ev)
		}},
}))

// mustCalendar is an institution's weekday calendar.
func mustCalendar(inst string) *jeton.Calendar {
	ws, err := jeton.ParseWindows("Mon-Fri 08:00-18:00")
	if err != nil {
		panic(err)
	}
	c, err := jeton.NewCalendar(inst, "Europe/Paris", ws, nil)
	if err != nil {
		panic(err)
	}
	c.UpdatedAt = at(0)
	return c
}

// subtests adapts cases over jeton.Store to the core suite's subtests.
func subtests(cases []Case[jeton.Store]) []subtest {
	out := make([]subtest, len(cases))
	for i, c := range cases {
		out[i] = subtest{c.Name, c.Run}
	}
	return out
}

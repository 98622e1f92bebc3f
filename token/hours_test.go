package token_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/calendarcache"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

// hoursFixture is the engine with the working-hours policy and the token cap, on a
// real SQLite store and an injected clock.
type hoursFixture struct {
	store   *sqlite.Store
	engine  *token.Engine
	clock   *testclock.Clock
	cals    *calendarcache.Cache
	revoker *token.Revoker
}

func newHoursFixture(t *testing.T, maxActive int) *hoursFixture {
	t.Helper()
	ctx := context.Background()
	s := sqlitetest.New(t)
	km := keys.NewManager(s, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)) // a Monday
	cals := calendarcache.New(s, time.Hour, clock.Now)
	sec := clientauth.Secret{Now: clock.Now}
	clients := clientcache.New(s, 0, nil)
	e := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clients, Now: clock.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: sec}},
		Grants:   []token.Grant{token.ClientCredentials{}},
		Policies: []token.Policy{token.Hours{Calendars: cals}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"}, Slots: s,
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
		Now: clock.Now,
	})
	now := clock.Now()
	if err := s.CreateInstitution(ctx, jeton.Institution{ID: "bank-a", Name: "A", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	err := s.CreateClient(ctx, jeton.Client{
		ID: "partner", InstitutionID: "bank-a", Name: "partner", Status: jeton.ClientActive, AuthMethod: jeton.AuthSecretBasic,
		SecretDigest: jeton.Digest("pw"), Institutions: []string{"bank-a"}, Grants: []string{jeton.GrantClientCredentials},
		Scopes: []string{"a"}, DefaultScopes: []string{"a"}, TokenFormat: jeton.FormatJWT, MaxActiveTokens: maxActive,
		AccessTokenTTL: 10 * time.Minute, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	intro := &token.Introspector{Issuer: "https://as.example", KeySet: km.KeySet, Store: s, Clients: clients, Now: clock.Now}
	return &hoursFixture{store: s, engine: e, clock: clock, cals: cals, revoker: &token.Revoker{Tokens: intro, Store: s}}
}

func (f *hoursFixture) setCalendar(t *testing.T, tz string, window string, closed ...string) {
	t.Helper()
	ws, err := jeton.ParseWindows(window)
	if err != nil {
		t.Fatal(err)
	}
	var ds []jeton.Date
	for _, c := range closed {
		d, err := jeton.ParseDate(c)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	cal, err := jeton.NewCalendar("bank-a", tz, ws, ds)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutCalendar(context.Background(), cal); err != nil {
		t.Fatal(err)
	}
	f.cals.Invalidate("bank-a")
}

func TestHoursPolicy(t *testing.T) {
	f := newHoursFixture(t, 0)
	ctx := context.Background()
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); err != nil {
		t.Fatalf("no calendar must be always open: %v", err)
	}
	f.setCalendar(t, "Europe/London", "Mon-Fri 07:00-19:00", "2026-12-25")
	tests := []struct {
		name       string
		at         time.Time
		retryAfter time.Duration // 0: open
	}{
		{"opening minute", time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC), 0},
		{"a second before opening", time.Date(2026, 6, 1, 5, 59, 59, 0, time.UTC), time.Second},
		{"closing minute", time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC), 12 * time.Hour},
		{"half a second before opening rounds up", time.Date(2026, 6, 1, 5, 59, 59, 5e8, time.UTC), time.Second},
		// Saturday 20:00 GMT before the spring change: Monday 07:00 BST is 34 h away.
		{"DST change night", time.Date(2026, 3, 28, 20, 0, 0, 0, time.UTC), 34 * time.Hour},
		{"closed date", time.Date(2026, 12, 25, 12, 0, 0, 0, time.UTC), 67 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Advance(tt.at.Sub(f.clock.Now()))
			_, err := f.engine.Token(ctx, ccRequest(nil, ""))
			if tt.retryAfter == 0 {
				if err != nil {
					t.Fatalf("open at %s: %v", tt.at, err)
				}
				return
			}
			var e *jeton.Error
			if !errors.As(err, &e) || e.Code != jeton.CodeTemporarilyUnavailable || e.Reason != jeton.ReasonOutsideHours ||
				e.Status != 503 || e.RetryAfter != tt.retryAfter {
				t.Fatalf("err = %#v, want 503 outside_hours with RetryAfter %s", err, tt.retryAfter)
			}
		})
	}
}

// TestHoursPolicyAfterAuthentication: a stranger outside hours learns nothing about
// the calendar; authentication fails first.
func TestHoursPolicyAfterAuthentication(t *testing.T) {
	f := newHoursFixture(t, 0)
	f.setCalendar(t, "UTC", "Sun 00:00-01:00")
	req := ccRequest(nil, "")
	req.Credentials.Secret = "wrong"
	_, err := f.engine.Token(context.Background(), req)
	if e := jeton.AsError(err); e.Code != jeton.CodeInvalidClient {
		t.Fatalf("err = %v, want invalid_client", err)
	}
}

func TestCalendarCacheServesWithoutStore(t *testing.T) {
	f := newHoursFixture(t, 0)
	f.setCalendar(t, "UTC", "Mon-Fri 08:00-17:00")
	ctx := context.Background()
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); err != nil { // Monday 09:00 UTC: open, cached
		t.Fatal(err)
	}
	// A change the cache was not told about is not seen until Invalidate.
	ws, _ := jeton.ParseWindows("Sun 08:00-17:00")
	cal, _ := jeton.NewCalendar("bank-a", "UTC", ws, nil)
	if err := f.store.PutCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); err != nil {
		t.Fatalf("cached calendar should still be open: %v", err)
	}
	f.cals.Changed("bank-a")
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); jeton.AsError(err).Reason != jeton.ReasonOutsideHours {
		t.Fatalf("after the change notification: %v, want outside hours", err)
	}
	if err := f.store.DeleteCalendar(ctx, "bank-a"); err != nil {
		t.Fatal(err)
	}
	f.cals.Changed("") // a notification gap drops everything
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); err != nil {
		t.Fatalf("no calendar must be open: %v", err)
	}
}

// TestTokenCapEngine: a cap of 3 with 20 parallel token requests issues exactly 3,
// the refusal is invalid_request/token_limit, and revoking one token frees a slot.
func TestTokenCapEngine(t *testing.T) {
	f := newHoursFixture(t, 3)
	ctx := context.Background()
	var mu sync.Mutex
	var issued []*token.Result
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			res, err := f.engine.Token(ctx, ccRequest(nil, ""))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				issued = append(issued, res)
				return
			}
			if e := jeton.AsError(err); e.Code != jeton.CodeInvalidRequest || e.Reason != jeton.ReasonTokenLimit || e.Status != 400 {
				t.Errorf("refusal %#v, want invalid_request/token_limit 400", e)
			}
		})
	}
	wg.Wait()
	if len(issued) != 3 {
		t.Fatalf("issued %d tokens with a cap of 3", len(issued))
	}
	client := &jeton.Client{ID: "partner", InstitutionID: "bank-a", Institutions: []string{"bank-a"}}
	if _, err := f.revoker.Revoke(ctx, client, issued[0].AccessToken, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); err != nil {
		t.Fatalf("revoking a token must free a slot: %v", err)
	}
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); jeton.AsError(err).Reason != jeton.ReasonTokenLimit {
		t.Fatalf("cap reached again: %v", err)
	}
	f.clock.Advance(10 * time.Minute) // every token expires
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); err != nil {
		t.Fatalf("expired tokens must free their slots: %v", err)
	}
}

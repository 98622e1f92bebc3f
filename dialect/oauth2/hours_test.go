package oauth2_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/calendarcache"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/goldenfile"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

// TestOutsideHoursAndCapGolden: the standard dialect answers the engine's working-hours
// refusal as 503 temporarily_unavailable with Retry-After (RFC 6749 §5.2, RFC 9110
// §10.2.3), and the active-token cap as 400 invalid_request.
func TestOutsideHoursAndCapGolden(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.New(t)
	clock := testclock.New(time.Date(2026, 6, 6, 12, 0, 0, 0, time.UTC)) // a Saturday
	km := keys.NewManager(store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	sec := clientauth.Secret{Now: clock.Now}
	engine := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(store, 0, nil), Now: clock.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: sec}},
		Grants:   []token.Grant{token.ClientCredentials{}},
		Policies: []token.Policy{token.Hours{Calendars: calendarcache.New(store, 0, nil)}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"}, Slots: store,
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
		Now: clock.Now,
	})
	d, err := oauth2.New(oauth2.Config{Engine: engine, Issuer: "https://as.example", JWKS: km.JWKS, AuthMethods: []jeton.AuthMethod{jeton.AuthSecretBasic}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler),
		Ready: func(context.Context) error { return nil }, Mounts: []httpapi.Mount{{Dialect: d}}}))
	t.Cleanup(srv.Close)
	now := clock.Now()
	for _, inst := range []string{"inst-hours", "inst-open"} {
		if err := store.CreateInstitution(ctx, jeton.Institution{ID: inst, Name: inst, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	ws, _ := jeton.ParseWindows("Mon-Fri 07:00-19:00")
	cal, _ := jeton.NewCalendar("inst-hours", "Europe/London", ws, nil)
	if err := store.PutCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	for id, c := range map[string]struct {
		inst string
		max  int
	}{"hours-client": {"inst-hours", 0}, "capped-client": {"inst-open", 1}} {
		err := store.CreateClient(ctx, jeton.Client{ID: id, InstitutionID: c.inst, Name: id, Status: jeton.ClientActive,
			AuthMethod: jeton.AuthSecretBasic, SecretDigest: jeton.Digest(secret), Institutions: []string{c.inst},
			Grants: []string{jeton.GrantClientCredentials}, Scopes: []string{"a"}, DefaultScopes: []string{"a"},
			TokenFormat: jeton.FormatJWT, AccessTokenTTL: time.Hour, SigningAlg: "ES256", MaxActiveTokens: c.max,
			CreatedAt: now, UpdatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
	}
	post := func(client string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+oauth2.TokenPath, strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", basicAuth(client, secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	// Saturday 12:00 UTC (13:00 BST) to Monday 07:00 BST: 42 h.
	goldenfile.Check(t, "error_outside_hours", renderRetry(t, post("hours-client")))
	if resp := post("capped-client"); resp.StatusCode != 200 {
		t.Fatalf("first token of a capped client: %d", resp.StatusCode)
	}
	goldenfile.Check(t, "error_token_limit", renderRetry(t, post("capped-client")))
}

// renderRetry is render with the Retry-After header.
func renderRetry(t *testing.T, resp *http.Response) string {
	t.Helper()
	out := render(t, resp)
	if v := resp.Header.Get("Retry-After"); v != "" {
		head, body, _ := strings.Cut(out, "\n\n")
		out = fmt.Sprintf("%s\nRetry-After: %s\n\n%s", head, v, body)
	}
	return out
}

package abbeycross_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/calendarcache"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/dialect/abbeycross"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/goldenfile"
	"github.com/jeton/jeton/internal/testclock"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

const secret = "s3cret-for-tests-only"

// monday10 is a Monday 10:00 in London (BST), inside the test calendar.
var monday10 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// endpoint is the dialect over the real engine (working hours and the token cap on),
// a real SQLite store and real keys, behind the public middleware, on an injected
// clock. The log goes to a buffer so tests can find an errorId in it.
type endpoint struct {
	srv   *httptest.Server
	store *sqlite.Store
	clock *testclock.Clock
	logMu sync.Mutex
	log   bytes.Buffer
}

func (e *endpoint) Write(p []byte) (int, error) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.log.Write(p)
}

func (e *endpoint) logText() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.log.String()
}

func newEndpoint(t *testing.T, prefix string) *endpoint {
	t.Helper()
	ctx := context.Background()
	e := &endpoint{store: sqlitetest.New(t), clock: testclock.New(monday10)}
	km := keys.NewManager(e.store, make([]byte, 32), keys.Config{Algs: []string{"ES256"}})
	if err := km.Load(ctx); err != nil {
		t.Fatal(err)
	}
	sec := clientauth.Secret{Now: e.clock.Now}
	engine := token.NewEngine(token.EngineConfig{
		Auth: &clientauth.Authenticator{Clients: clientcache.New(e.store, 0, nil), Now: e.clock.Now,
			Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthSecretBasic: sec, jeton.AuthSecretPost: sec}},
		Grants:   []token.Grant{token.ClientCredentials{}},
		Policies: []token.Policy{token.Hours{Calendars: calendarcache.New(e.store, 0, nil)}},
		Issuer: &token.Issuer{Issuer: "https://as.example", Audience: []string{"https://api.example"}, Slots: e.store,
			Signer: func(alg string) (token.Signer, error) { return km.Signer(alg) }},
		Now: e.clock.Now,
	})
	h := httpapi.New(httpapi.Config{Logger: slog.New(slog.NewJSONHandler(e, nil)), Ready: func(context.Context) error { return nil },
		Mounts: []httpapi.Mount{{Prefix: prefix, Dialect: abbeycross.New(abbeycross.Config{Engine: engine})}}})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.seed(t)
	return e
}

func (e *endpoint) seed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	now := e.clock.Now()
	for _, id := range []string{"inst-1", "inst-hours"} {
		if err := e.store.CreateInstitution(ctx, jeton.Institution{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	ws, _ := jeton.ParseWindows("Mon-Fri 07:00-19:00")
	xmas, _ := jeton.ParseDate("2026-12-25")
	cal, err := jeton.NewCalendar("inst-hours", "Europe/London", ws, []jeton.Date{xmas})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	e.addClient(t, "ax-client", "inst-1", jeton.AuthSecretPost, jeton.ClientActive, jeton.GrantClientCredentials, 0)
	e.addClient(t, "ax-disabled", "inst-1", jeton.AuthSecretPost, jeton.ClientDisabled, jeton.GrantClientCredentials, 0)
	e.addClient(t, "ax-deleted", "inst-1", jeton.AuthSecretPost, jeton.ClientDeleted, jeton.GrantClientCredentials, 0)
	e.addClient(t, "ax-basic", "inst-1", jeton.AuthSecretBasic, jeton.ClientActive, jeton.GrantClientCredentials, 0)
	e.addClient(t, "ax-password-only", "inst-1", jeton.AuthSecretPost, jeton.ClientActive, jeton.GrantPassword, 0)
	e.addClient(t, "ax-capped", "inst-1", jeton.AuthSecretPost, jeton.ClientActive, jeton.GrantClientCredentials, 1)
	e.addClient(t, "ax-hours", "inst-hours", jeton.AuthSecretPost, jeton.ClientActive, jeton.GrantClientCredentials, 0)
}

func (e *endpoint) addClient(t *testing.T, id, inst string, m jeton.AuthMethod, st jeton.ClientStatus, grant string, maxActive int) {
	t.Helper()
	now := e.clock.Now()
	err := e.store.CreateClient(context.Background(), jeton.Client{
		ID: id, InstitutionID: inst, Name: id, Status: st, AuthMethod: m, SecretDigest: jeton.Digest(secret),
		Institutions: []string{inst}, Grants: []string{grant}, Scopes: []string{"fx:quote", "fx:trade"},
		DefaultScopes: []string{"fx:quote"}, TokenFormat: jeton.FormatJWT, AccessTokenTTL: time.Hour,
		SigningAlg: "ES256", MaxActiveTokens: maxActive, CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
}

type call struct {
	method, path, body, contentType string
	at                              time.Time // the clock; zero keeps monday10
}

func (e *endpoint) do(t *testing.T, c call) *http.Response {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.contentType == "" {
		c.contentType = "application/json"
	}
	if c.path == "" {
		c.path = abbeycross.DefaultPrefix + abbeycross.TokenPath
	}
	at := c.at
	if at.IsZero() {
		at = monday10
	}
	e.clock.Advance(at.Sub(e.clock.Now()))
	req, _ := http.NewRequest(c.method, e.srv.URL+c.path, strings.NewReader(c.body))
	req.Header.Set("Content-Type", c.contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

var (
	errorIDField = regexp.MustCompile(`"errorId":"([^"]*)"`)
	accessToken  = regexp.MustCompile(`"access_token":"[^"]*"`)
)

// render is the golden form of an answer: status, the headers a client relies on, and
// the body with its random parts (errorId, access_token) replaced by placeholders; the
// errorId must be a UUIDv7 first.
func render(t *testing.T, resp *http.Response) string {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := errorIDField.FindSubmatch(body); m != nil {
		if id, err := uuid.Parse(string(m[1])); err != nil || id.Version() != 7 {
			t.Errorf("errorId %q is not a UUIDv7", m[1])
		}
	}
	body = errorIDField.ReplaceAll(body, []byte(`"errorId":"<errorId>"`))
	body = accessToken.ReplaceAll(body, []byte(`"access_token":"<access_token>"`))
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", resp.StatusCode)
	for _, h := range []string{"Allow", "Cache-Control", "Content-Type", "Pragma", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", body)
	return b.String()
}

func creds(id, sec string) string {
	b, _ := json.Marshal(map[string]string{"client_id": id, "client_secret": sec})
	return string(b)
}

// goldenCalls is every answer the endpoint gives, one golden file each.
func goldenCalls() []struct {
	golden string
	call   call
} {
	ok := creds("ax-client", secret)
	return []struct {
		golden string
		call   call
	}{
		{"ok", call{body: ok}},
		{"ok_scope", call{body: `{"client_id":"ax-client","client_secret":"` + secret + `","scope":"fx:trade fx:quote"}`}},
		{"ok_extra_fields_ignored", call{body: `{"client_id":"ax-client","client_secret":"` + secret + `","grant_type":"client_credentials","x":[1,{"y":null}]}`}},
		{"error_not_json", call{body: "client_id=ax-client&client_secret=" + secret}},
		{"error_truncated_json", call{body: `{"client_id":"ax-client",`}},
		{"error_json_array", call{body: `[` + ok + `]`}},
		{"error_json_string", call{body: `"ax-client"`}},
		{"error_json_null", call{body: `null`}},
		{"error_empty_body", call{body: ``}},
		{"error_trailing_data", call{body: ok + ` {}`}},
		{"error_client_id_number", call{body: `{"client_id":42,"client_secret":"` + secret + `"}`}},
		{"error_client_id_array", call{body: `{"client_id":["ax-client"],"client_secret":"` + secret + `"}`}},
		{"error_client_secret_number", call{body: `{"client_id":"ax-client","client_secret":12345}`}},
		{"error_client_secret_object", call{body: `{"client_id":"ax-client","client_secret":{"value":"` + secret + `"}}`}},
		{"error_scope_array", call{body: `{"client_id":"ax-client","client_secret":"` + secret + `","scope":["fx:quote"]}`}},
		{"error_missing_client_id", call{body: `{"client_secret":"` + secret + `"}`}},
		{"error_null_client_id", call{body: `{"client_id":null,"client_secret":"` + secret + `"}`}},
		{"error_empty_client_id", call{body: creds("", secret)}},
		{"error_missing_client_secret", call{body: `{"client_id":"ax-client"}`}},
		{"error_empty_client_secret", call{body: creds("ax-client", "")}},
		{"error_overlong_client_id", call{body: creds(strings.Repeat("c", abbeycross.MaxClientID+1), secret)}},
		{"error_overlong_client_secret", call{body: creds("ax-client", strings.Repeat("s", abbeycross.MaxSecretBytes+1))}},
		{"error_client_id_control_character", call{body: creds("ax-\u0007client", secret)}},
		{"error_client_secret_non_ascii", call{body: creds("ax-client", "sécret")}},
		{"error_duplicate_client_id", call{body: `{"client_id":"ax-client","client_id":"ax-basic","client_secret":"` + secret + `"}`}},
		{"error_huge_extra_field", call{body: `{"client_id":"ax-client","client_secret":"` + secret + `","pad":"` + strings.Repeat("x", 20<<10) + `"}`}},
		{"error_not_utf8", call{body: "{\"client_id\":\"ax-\xff\",\"client_secret\":\"x\"}"}},
		{"error_content_type", call{body: ok, contentType: "application/x-www-form-urlencoded"}},
		{"error_method_not_allowed", call{method: http.MethodGet}},
		{"error_unknown_client", call{body: creds("no-such-client", secret)}},
		{"error_wrong_secret", call{body: creds("ax-client", "wrong")}},
		{"error_deleted_client", call{body: creds("ax-deleted", secret)}},
		{"error_client_registered_for_basic", call{body: creds("ax-basic", secret)}},
		{"error_disabled_client", call{body: creds("ax-disabled", secret)}},
		{"error_disabled_client_wrong_secret", call{body: creds("ax-disabled", "wrong")}},
		{"error_scope_not_allowed", call{body: `{"client_id":"ax-client","client_secret":"` + secret + `","scope":"fx:settle"}`}},
		{"error_scope_malformed", call{body: `{"client_id":"ax-client","client_secret":"` + secret + `","scope":"fx:quote  fx:trade"}`}},
		{"error_grant_not_allowed", call{body: creds("ax-password-only", secret)}},
		// Working hours (Europe/London, Mon-Fri 07:00-19:00, closed 2026-12-25).
		{"ok_hours_opening_minute", call{body: creds("ax-hours", secret), at: time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)}},
		{"error_hours_before_opening_minute", call{body: creds("ax-hours", secret), at: time.Date(2026, 6, 1, 5, 59, 30, 0, time.UTC)}},
		{"ok_hours_last_open_second", call{body: creds("ax-hours", secret), at: time.Date(2026, 6, 1, 17, 59, 59, 0, time.UTC)}},
		{"error_hours_closing_minute", call{body: creds("ax-hours", secret), at: time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)}},
		{"error_hours_dst_change_night", call{body: creds("ax-hours", secret), at: time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)}},
		{"ok_hours_after_dst_change", call{body: creds("ax-hours", secret), at: time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC)}},
		{"error_hours_closed_date", call{body: creds("ax-hours", secret), at: time.Date(2026, 12, 25, 12, 0, 0, 0, time.UTC)}},
	}
}

func TestTokenEndpointGolden(t *testing.T) {
	e := newEndpoint(t, abbeycross.DefaultPrefix)
	for _, tt := range goldenCalls() {
		t.Run(tt.golden, func(t *testing.T) {
			goldenfile.Check(t, tt.golden, render(t, e.do(t, tt.call)))
		})
	}
}

// TestConflictGolden: a client with a cap of 1 gets one token, then 409 CONFLICT.
func TestConflictGolden(t *testing.T) {
	e := newEndpoint(t, abbeycross.DefaultPrefix)
	goldenfile.Check(t, "ok", render(t, e.do(t, call{body: creds("ax-capped", secret)})))
	goldenfile.Check(t, "error_conflict", render(t, e.do(t, call{body: creds("ax-capped", secret)})))
}

// TestInvalidClientRevealsNothing: unknown id, wrong secret, deleted, wrong-method and
// a disabled client with a wrong secret get the same answer (but for the errorId).
func TestInvalidClientRevealsNothing(t *testing.T) {
	e := newEndpoint(t, abbeycross.DefaultPrefix)
	want := render(t, e.do(t, call{body: creds("no-such-client", secret)}))
	for _, body := range []string{creds("ax-client", "wrong"), creds("ax-deleted", secret), creds("ax-basic", secret), creds("ax-disabled", "wrong")} {
		if got := render(t, e.do(t, call{body: body})); got != want {
			t.Errorf("%s answered\n%s\nbut an unknown client answered\n%s", body, got, want)
		}
	}
}

// TestErrorIDInLog: every error's errorId is unique and is in the request's log line,
// and no secret reaches the log.
func TestErrorIDInLog(t *testing.T) {
	e := newEndpoint(t, abbeycross.DefaultPrefix)
	seen := map[string]bool{}
	for range 5 {
		resp := e.do(t, call{body: creds("ax-client", "wrong-"+secret)})
		var body struct {
			ErrorID string `json:"errorId"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if seen[body.ErrorID] {
			t.Fatalf("errorId %s repeated", body.ErrorID)
		}
		seen[body.ErrorID] = true
		if !strings.Contains(e.logText(), `"error_id":"`+body.ErrorID+`"`) {
			t.Errorf("errorId %s is not in the log:\n%s", body.ErrorID, e.logText())
		}
	}
	if strings.Contains(e.logText(), secret) {
		t.Error("a secret reached the log")
	}
}

// TestOwnListenerRoot: mounted at the root (its own listener), the same endpoint
// answers at /v1/oauth/token.
func TestOwnListenerRoot(t *testing.T) {
	e := newEndpoint(t, "")
	resp := e.do(t, call{path: abbeycross.TokenPath, body: creds("ax-client", secret)})
	goldenfile.Check(t, "ok", render(t, resp))
}

// TestCapRace: 20 parallel requests of a client capped at 1 (through HTTP) issue
// exactly one token; the others are 409.
func TestCapRace(t *testing.T) {
	e := newEndpoint(t, abbeycross.DefaultPrefix)
	var mu sync.Mutex
	status := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+abbeycross.DefaultPrefix+abbeycross.TokenPath, strings.NewReader(creds("ax-capped", secret)))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			status[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if status[200] != 1 || status[409] != 19 {
		t.Errorf("statuses %v, want one 200 and nineteen 409", status)
	}
}

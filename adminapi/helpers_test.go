package adminapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/adminapi/admintest"
	"github.com/jeton/jeton/internal/eventtest"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/storetest/stores"
)

const testToken = "test-admin-token-0123456789"

// cheapArgon keeps customer tests fast; password's own tests cover DefaultParams.
var cheapArgon = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

// env is an admin API on a real SQLite store behind a real HTTP server.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	c     *adminapi.Client
	store *sqlite.Store
	keys  *keys.Manager

	mu          sync.Mutex
	now         time.Time
	invalidated []string
	calendars   []string // institution ids passed to InvalidateCalendar
	events      eventtest.Recorder
}

// newEnv starts the API; jwksAllowHosts are the operator's --jwks-allow-hosts.
func newEnv(t *testing.T, jwksAllowHosts ...string) *env {
	t.Helper()
	st := sqlitetest.New(t)
	e := newEnvOn(t, st, jwksAllowHosts...)
	e.store = st
	return e
}

// newPostgresEnv is newEnv on a fresh PostgreSQL database (pgtest); its store field is
// nil.
func newPostgresEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, stores.Postgres(t)(t))
}

// bothStores runs test on an API over SQLite and over PostgreSQL.
func bothStores(t *testing.T, test func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { test(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, newPostgresEnv(t)) })
}

// newEnvOn starts the API over st.
func newEnvOn(t *testing.T, st jeton.Store, jwksAllowHosts ...string) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	kek := make([]byte, 32)
	for i := range kek {
		kek[i] = byte(i)
	}
	e.keys = keys.NewManager(st, kek, keys.Config{Now: e.clock, Algs: []string{"ES256"}})
	if err := e.keys.Load(ctx); err != nil {
		t.Fatal(err)
	}
	h := adminapi.New(adminapi.Config{
		Store: st, Keys: e.keys, Token: testToken, Now: e.clock,
		Invalidate: func(id string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.invalidated = append(e.invalidated, id)
		},
		InvalidateCalendar: func(id string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.calendars = append(e.calendars, id)
		},
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		Password:       cheapArgon,
		KEK:            kek,
		JWKSAllowHosts: jwksAllowHosts,
		Events:         &e.events,
	})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.c = adminapi.NewClient(e.srv.URL, testToken, e.srv.Client())
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// invalidations returns and forgets the client ids passed to Invalidate so far.
func (e *env) invalidations() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.invalidated
	e.invalidated = nil
	return out
}

type answer struct {
	status int
	header http.Header
	body   []byte
	err    adminapi.ErrorBody
	raw    admintest.Answer
}

// raw sends a hand-made request with the right token, for input the typed client
// cannot produce.
func (e *env) raw(method, path, body string) answer {
	return e.rawAuth(method, path, body, "Bearer "+testToken)
}

func (e *env) rawAuth(method, path, body, authz string) answer {
	e.t.Helper()
	a := admintest.Do(e.t, e.srv, method, path, body, authz)
	return answer{status: a.Status, header: a.Header, body: a.Body, err: a.Err, raw: a}
}

// wantError checks an answer's status, code and field.
func (a answer) wantError(t *testing.T, status int, code, field string) {
	t.Helper()
	a.raw.WantError(t, status, code, field)
}

func mustInstitution(t *testing.T, e *env, name string) jeton.Institution {
	t.Helper()
	inst, err := e.c.CreateInstitution(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// asAPIError unwraps err to the server's answer, failing if it is something else.
func asAPIError(t *testing.T, err error) *adminapi.APIError {
	t.Helper()
	return admintest.APIError(t, err)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

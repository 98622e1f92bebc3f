// Package admintest runs the admin API on a real SQLite store behind a real HTTP
// server, for the tests of a vendor module's admin routes.
package admintest

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

const token = "test-admin-token-0123456789"

// Env is a running admin API with routes added.
type Env struct {
	t      *testing.T
	srv    *httptest.Server
	Client *adminapi.Client
	Store  *sqlite.Store
}

// New starts the admin API with routes (a module's AdminRoutes) on a fresh store.
func New(t *testing.T, routes ...adminapi.Routes) *Env {
	t.Helper()
	e := &Env{t: t, Store: sqlitetest.New(t)}
	h := adminapi.New(adminapi.Config{Store: e.Store, Token: token, Routes: routes,
		Now:    func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.Client = adminapi.NewClient(e.srv.URL, token, e.srv.Client())
	return e
}

// Institution creates an institution through the API.
func (e *Env) Institution(name string) jeton.Institution {
	e.t.Helper()
	inst, err := e.Client.CreateInstitution(e.t.Context(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return inst
}

// Answer is a raw answer.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	Err    adminapi.ErrorBody
}

// Raw sends a hand-made request with the right token, for input the typed client
// cannot produce.
func (e *Env) Raw(method, path, body string) Answer {
	e.t.Helper()
	return Do(e.t, e.srv, method, path, body, "Bearer "+token)
}

// Do sends a hand-made request to srv with the Authorization header authz (none if
// ""), and reads the answer and its JSON error body.
func Do(t *testing.T, srv *httptest.Server, method, path, body, authz string) Answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := Answer{Status: resp.StatusCode, Header: resp.Header}
	a.Body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(a.Body, &a.Err); err != nil {
			t.Fatalf("%s %s: error body is not JSON: %q", method, path, a.Body)
		}
	}
	return a
}

// WantError checks an answer's status, code and field.
func (a Answer) WantError(t *testing.T, status int, code, field string) {
	t.Helper()
	if a.Status != status || a.Err.Error != code || a.Err.Field != field {
		t.Fatalf("got %d %+v; want %d error=%q field=%q", a.Status, a.Err, status, code, field)
	}
	if a.Err.Message == "" {
		t.Fatalf("error answer without a message: %s", a.Body)
	}
}

// APIError unwraps err to the server's answer, failing if it is something else.
func APIError(t *testing.T, err error) *adminapi.APIError {
	t.Helper()
	var ae *adminapi.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v; want *adminapi.APIError", err)
	}
	return ae
}

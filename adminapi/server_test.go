package adminapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton/adminapi"
)

func TestAuthRequired(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, authz, wantChallenge string
	}{
		{"missing", "", `Bearer realm="jeton-admin"`},
		{"basic scheme", "Basic dXNlcjpwYXNz", `Bearer realm="jeton-admin"`},
		{"empty bearer", "Bearer ", `Bearer realm="jeton-admin"`},
		{"wrong token", "Bearer nope", `Bearer realm="jeton-admin", error="invalid_token"`},
		{"token prefix", "Bearer " + testToken[:10], `Bearer realm="jeton-admin", error="invalid_token"`},
		{"token plus suffix", "Bearer " + testToken + "x", `Bearer realm="jeton-admin", error="invalid_token"`},
	}
	paths := []struct{ method, path string }{
		{"GET", "/admin/v1/institutions"},
		{"POST", "/admin/v1/clients"},
		{"GET", "/admin/v1/keys"},
		{"GET", "/admin/v1/no-such-route"}, // unauthenticated callers cannot probe routes
	}
	for _, tc := range cases {
		for _, p := range paths {
			t.Run(tc.name+" "+p.method+" "+p.path, func(t *testing.T) {
				a := e.rawAuth(p.method, p.path, "", tc.authz)
				a.wantError(t, http.StatusUnauthorized, "unauthorized", "")
				if got := a.header.Get("WWW-Authenticate"); got != tc.wantChallenge {
					t.Errorf("WWW-Authenticate = %q; want %q", got, tc.wantChallenge)
				}
				if got := a.header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control = %q", got)
				}
			})
		}
	}
	// The scheme is case-insensitive (RFC 7235 §2.1).
	if a := e.rawAuth("GET", "/admin/v1/institutions", "", "bearer "+testToken); a.status != http.StatusOK {
		t.Fatalf("lower-case scheme: %d %s", a.status, a.body)
	}
}

// A server wired with an empty token must refuse everything, not accept an empty or
// any credential.
func TestEmptyConfiguredTokenRefusesAll(t *testing.T) {
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Token: "", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	for _, authz := range []string{"Bearer x", "Bearer  ", "Bearer \"\""} {
		req, _ := http.NewRequest("GET", srv.URL+"/admin/v1/institutions", nil)
		req.Header.Set("Authorization", authz)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%q: status %d; want 401", authz, resp.StatusCode)
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	e := newEnv(t)
	a := e.raw("GET", "/admin/v1/nothing", "")
	a.wantError(t, http.StatusNotFound, "not_found", "")

	a = e.raw("DELETE", "/admin/v1/institutions", "")
	a.wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", "")
	if got := a.header.Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow = %q", got)
	}
	a = e.raw("PUT", "/admin/v1/clients/abc", "")
	a.wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", "")
	if got := a.header.Get("Allow"); got != "DELETE, GET, PATCH" {
		t.Errorf("Allow = %q", got)
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
}

func TestSuccessHeaders(t *testing.T) {
	e := newEnv(t)
	a := e.raw("POST", "/admin/v1/institutions", `{"name":"Bank"}`)
	if a.status != http.StatusCreated {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Content-Type": "application/json"} {
		if got := a.header.Get(h); got != want {
			t.Errorf("%s = %q; want %q", h, got, want)
		}
	}
}

// TestBodyDecoding covers the shape checks shared by every route with a body.
func TestBodyDecoding(t *testing.T) {
	e := newEnv(t)
	inst := mustInstitution(t, e, "Bank")
	cases := []struct {
		name, path, body string
		status           int
		code, field      string
	}{
		{"unknown field", "/admin/v1/institutions", `{"name":"x","nmae":"y"}`, 400, "invalid_field", "nmae"},
		{"wrong type", "/admin/v1/institutions", `{"name":5}`, 400, "invalid_field", "name"},
		{"wrong type in list", "/admin/v1/clients", `{"institution_id":"` + inst.ID + `","name":"a","grants":"client_credentials"}`, 400, "invalid_field", "grants"},
		{"wrong ttl type", "/admin/v1/clients", `{"institution_id":"` + inst.ID + `","name":"a","access_token_ttl":"1h"}`, 400, "invalid_field", "access_token_ttl"},
		{"nested unknown field", "/admin/v1/clients", `{"institution_id":"` + inst.ID + `","name":"a","public_keys":[{"format":"pem","dta":"x"}]}`, 400, "invalid_field", "dta"},
		{"array body", "/admin/v1/institutions", `["x"]`, 400, "invalid_request", ""},
		{"trailing data", "/admin/v1/institutions", `{"name":"x"} {"name":"y"}`, 400, "invalid_request", ""},
		{"trailing garbage", "/admin/v1/institutions", `{"name":"x"}]`, 400, "invalid_request", ""},
		{"malformed", "/admin/v1/institutions", `{"name":`, 400, "invalid_request", ""},
		{"not json", "/admin/v1/institutions", `name=x`, 400, "invalid_request", ""},
		{"oversized", "/admin/v1/institutions", `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "request_too_large", ""},
		{"oversized whitespace", "/admin/v1/institutions", `{"name":"a"}` + strings.Repeat(" ", 70<<10), 413, "request_too_large", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.raw("POST", tc.path, tc.body).wantError(t, tc.status, tc.code, tc.field)
		})
	}
	t.Run("empty body", func(t *testing.T) {
		e.rawAuth("POST", "/admin/v1/institutions", "", "Bearer "+testToken).wantError(t, 400, "invalid_request", "")
	})
	t.Run("content type", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/admin/v1/institutions", strings.NewReader(`{"name":"x"}`))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "text/plain")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d; want 415", resp.StatusCode)
		}
	})
}

func TestInstitutions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, err := e.c.CreateInstitution(ctx, "First Bank")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ID) != 32 || a.Name != "First Bank" || !a.CreatedAt.Equal(e.clock()) {
		t.Fatalf("created %+v", a)
	}
	b := mustInstitution(t, e, "Second Credit Union")
	got, err := e.c.GetInstitution(ctx, a.ID)
	if err != nil || got.ID != a.ID || got.Name != a.Name {
		t.Fatalf("get = %+v, %v", got, err)
	}
	list, err := e.c.ListInstitutions(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	e.advance(time.Minute)
	renamed, err := e.c.RenameInstitution(ctx, b.ID, "Second Bank")
	if err != nil || renamed.Name != "Second Bank" || !renamed.UpdatedAt.Equal(e.clock()) {
		t.Fatalf("rename = %+v, %v", renamed, err)
	}
	if got, _ := e.c.GetInstitution(ctx, b.ID); got.Name != "Second Bank" {
		t.Fatalf("rename not stored: %+v", got)
	}

	if ae := asAPIError(t, func() error { _, err := e.c.GetInstitution(ctx, "nope"); return err }()); ae.Status != 404 || ae.Code != "not_found" {
		t.Fatalf("unknown id: %+v", ae)
	}
	e.raw("PATCH", "/admin/v1/institutions/nope", `{"name":"x"}`).wantError(t, 404, "not_found", "")

	for name, bad := range map[string]string{
		"empty":   ``,
		"blank":   `   `,
		"control": `Bank\u0007`,
		"newline": `Bank\nInc`,
		"long":    strings.Repeat("é", 201),
	} {
		t.Run("name "+name, func(t *testing.T) {
			e.raw("POST", "/admin/v1/institutions", `{"name":"`+bad+`"}`).wantError(t, 400, "invalid_field", "name")
			e.raw("PATCH", "/admin/v1/institutions/"+a.ID, `{"name":"`+bad+`"}`).wantError(t, 400, "invalid_field", "name")
		})
	}
	if _, err := e.c.CreateInstitution(ctx, strings.Repeat("é", 200)); err != nil {
		t.Fatalf("200 characters must be accepted: %v", err)
	}
}

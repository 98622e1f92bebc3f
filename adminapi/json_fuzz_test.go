package adminapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// fuzzRoutes are the admin routes that decode a JSON body, with a body each accepts.
var fuzzRoutes = []struct {
	method, path, body string
}{
	{"POST", "/admin/v1/clients", `{"institution_id":"inst","name":"App","scopes":["a","b"],"default_scopes":["a"]}`},
	{"PATCH", "/admin/v1/clients/fixed", `{"name":"Renamed","scopes":["a","c"],"default_scopes":[],"max_active_tokens":3}`},
	{"POST", "/admin/v1/institutions", `{"name":"Bank"}`},
	{"PATCH", "/admin/v1/institutions/inst", `{"name":"Bank 2"}`},
	{"PUT", "/admin/v1/institutions/inst/hours", `{"time_zone":"Europe/London","windows":["Mon 09:00-17:00"],"closed":["2026-12-25"]}`},
	{"POST", "/admin/v1/institutions/inst/customers", `{"username":"alice","password":"a long password","claims":{"email":"a@example.com"}}`},
	{"PUT", "/admin/v1/ratelimits/client/fixed", `{"rate":10,"burst":20}`},
	{"POST", "/admin/v1/clients/fixed/secret", `{"grace_seconds":60}`},
}

// statusOf is the HTTP status of each admin error code.
var statusOf = map[string]int{
	adminapi.CodeInvalidField: 400, adminapi.CodeInvalidRequest: 400, adminapi.CodeNotFound: 404,
	adminapi.CodeConflict: 409, adminapi.CodeTooLarge: 413, adminapi.CodeMediaType: 415,
}

// FuzzAdminJSON: whatever JSON an admin sends to a route that decodes one (clients,
// institutions, hours, customers, rate limits, secret rotation), the admin API answers
// 2xx, or an error body whose code matches its status (400, 404, 409, 413, 415) with a
// message: never a 500. A client the API accepted, read back from the store, passes
// the clients service's whole-client check again.
func FuzzAdminJSON(f *testing.F) {
	ctx := context.Background()
	store := sqlitetest.New(f)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := store.CreateInstitution(ctx, jeton.Institution{ID: "inst", Name: "Bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		f.Fatal(err)
	}
	kek := make([]byte, 32)
	svc := clients.New(clients.Config{Store: store, KEK: kek, Now: func() time.Time { return now }})
	c := jeton.Client{ID: "fixed", InstitutionID: "inst", Name: "Fixed", Status: jeton.ClientActive, AuthMethod: jeton.AuthSecretBasic,
		SecretDigest: jeton.Digest("s"), Grants: []string{jeton.GrantClientCredentials}, Scopes: []string{"a"}, Institutions: []string{"inst"},
		TokenFormat: jeton.FormatJWT, SigningAlg: "ES256", AccessTokenTTL: time.Hour, RefreshTokenTTL: time.Hour, CreatedAt: now, UpdatedAt: now}
	if err := store.CreateClient(ctx, c); err != nil {
		f.Fatal(err)
	}
	const tok = "fuzz-admin-token-0123456789"
	h := adminapi.New(adminapi.Config{Store: store, Token: tok, KEK: kek, Clients: svc, Now: func() time.Time { return now }, Password: cheapArgon,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for i, r := range fuzzRoutes {
		f.Add(uint8(i), r.body, "application/json")
	}
	f.Add(uint8(0), `{"institution_id":"inst","name":"x","auth_method":"private_key_jwt","public_keys":[{"format":"jwks","data":"{\"keys\":[]}"}]}`, "application/json")
	f.Add(uint8(0), `{"institution_id":"inst","name":"x","grants":["authorization_code"],"auth_method":"none","redirect_uris":["http://localhost/cb"]}`, "")
	f.Add(uint8(1), `{"status":"deleted"}`, "application/json; charset=utf-8")
	f.Add(uint8(4), `{"time_zone":"../../etc/passwd","windows":["Mon 09:00-17:00"]}`, "application/json")
	f.Add(uint8(6), `{"rate":-1}`, "text/plain")
	f.Add(uint8(2), `{"name":"x"} {"name":"y"}`, "application/json")
	f.Fuzz(func(t *testing.T, route uint8, body, contentType string) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		r := httptest.NewRequest(rt.method, rt.path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		if contentType != "" {
			r.Header["Content-Type"] = []string{contentType}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 300 {
			var eb adminapi.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Message == "" || statusOf[eb.Error] != w.Code {
				t.Fatalf("%s %s %q: answered %d %s", rt.method, rt.path, body, w.Code, w.Body)
			}
			return
		}
		var id string
		switch {
		case rt.path == "/admin/v1/clients":
			var v adminapi.CreatedClient
			if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
				t.Fatalf("answer %s: %v", w.Body, err)
			}
			id = v.ClientID
		case strings.HasPrefix(rt.path, "/admin/v1/clients/fixed"):
			id = "fixed"
		default:
			return
		}
		got, err := store.GetClient(ctx, id)
		if err != nil {
			t.Fatalf("accepted client %s is not stored: %v", id, err)
		}
		if err := svc.Check(ctx, &got, clients.Rules{}); err != nil {
			t.Fatalf("%s %s %q accepted; the stored client fails the check: %v", rt.method, rt.path, body, err)
		}
	})
}

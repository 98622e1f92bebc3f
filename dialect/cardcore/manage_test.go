package cardcore_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/goldenfile"
)

// TestManagementGolden: create, update and delete with the vendor's answers, and each
// refusal in the envelope.
func TestManagementGolden(t *testing.T) {
	e := newEndpoint(t)
	a := e.createApp(t, e.keyA, testRSAKey(t), certPEM(t, testRSAKey(t), "fintech.example"))
	masks := a.masks()

	// A fresh create, rendered (ids masked, times from the test clock).
	created := e.call(t, request{path: "/institutions/oauth/create", key: e.keyA, body: createBody("Second", certPEM(t, testRSAKey(t), "second.example"))})
	var v struct{ ClientID, InstitutionID, ID string }
	if err := json.Unmarshal(created.env.Data, &v); err != nil {
		t.Fatal(err)
	}
	masks[v.ClientID], masks[v.InstitutionID], masks[v.ID] = "clientId2", "institutionId2", "institutionOauth2"
	goldenfile.Check(t, "manage_create", created.render(masks))

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(small)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	body := func(edit func(m map[string]any)) string {
		var m map[string]any
		_ = json.Unmarshal([]byte(createBody("Third", publicPEM(t, testRSAKey(t)))), &m)
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	create := func(edit func(m map[string]any)) request {
		return request{path: "/institutions/oauth/create", key: e.keyA, body: body(edit)}
	}
	appPath := "/institutions/oauth/" + a.appKey
	tests := []struct {
		golden string
		req    request
	}{
		{"manage_error_no_key", request{path: "/institutions/oauth/create", body: body(func(map[string]any) {})}},
		{"manage_error_unknown_key", request{path: "/institutions/oauth/create", key: "nope", body: body(func(map[string]any) {})}},
		{"manage_error_rsa_1024", create(func(m map[string]any) { m["publicKey"] = certPEM(t, small, "legacy.example") })},
		{"manage_error_private_key", create(func(m map[string]any) { m["publicKey"] = privPEM })},
		{"manage_error_not_pem", create(func(m map[string]any) { m["publicKey"] = "ssh-rsa AAAA" })},
		{"manage_error_missing_name", create(func(m map[string]any) { delete(m, "name") })},
		{"manage_error_missing_public_key", create(func(m map[string]any) { delete(m, "publicKey") })},
		{"manage_error_wrong_type", create(func(m map[string]any) { m["isOfficial"] = "yes" })},
		{"manage_error_unknown_field", create(func(m map[string]any) { m["colour"] = "blue" })},
		{"manage_error_grant_type", create(func(m map[string]any) { m["grantType"] = "password" })},
		{"manage_error_website_url", create(func(m map[string]any) { m["websiteUrl"] = "fintech.example" })},
		{"manage_error_scope", create(func(m map[string]any) { m["scopes"] = []string{"READ WRITE"} })},
		{"manage_update", request{method: http.MethodPut, path: appPath, key: e.keyA, body: `{"name":"Renamed","scopes":["READ"]}`}},
		{"manage_update_error_other_institution", request{method: http.MethodPut, path: appPath, key: e.keyB, body: `{"name":"Mine now"}`}},
		{"manage_update_error_unknown_field", request{method: http.MethodPut, path: appPath, key: e.keyA, body: `{"isOfficial":true}`}},
		{"manage_delete_error_other_institution", request{method: http.MethodDelete, path: appPath, key: e.keyB}},
		{"manage_delete", request{method: http.MethodDelete, path: appPath, key: e.keyA}},
		{"manage_delete_error_again", request{method: http.MethodDelete, path: appPath, key: e.keyA}},
		{"manage_update_error_deleted", request{method: http.MethodPut, path: appPath, key: e.keyA, body: `{"name":"Back"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			e.clock.Advance(time.Minute)
			goldenfile.Check(t, tt.golden, e.call(t, tt.req).render(masks))
		})
	}
}

// TestDeleteStopsTokens: after DELETE, the application's access token fails
// introspection at once and it can get no new token.
func TestDeleteStopsTokens(t *testing.T) {
	e := newEndpoint(t)
	a := e.createApp(t, e.keyA, testRSAKey(t), certPEM(t, testRSAKey(t), "fintech.example"))
	ok := e.call(t, request{body: tokenBody(ccBody(a, sign(t, a.key, jose.RS256, e.claims(a))))})
	at := ok.data(t).AccessToken
	caller := &jeton.Client{ID: "rs", InstitutionID: instA}
	info, err := e.intro.Introspect(t.Context(), caller, at, "")
	if err != nil || !info.Active {
		t.Fatalf("before delete: %+v, %v", info, err)
	}
	if del := e.call(t, request{method: http.MethodDelete, path: "/institutions/oauth/" + a.appKey, key: e.keyA}); del.status != http.StatusOK {
		t.Fatalf("delete: %s", del.raw)
	}
	info, err = e.intro.Introspect(t.Context(), caller, at, "")
	if err != nil || info.Active {
		t.Fatalf("after delete: %+v, %v", info, err)
	}
	e.clock.Advance(time.Second)
	if got := e.call(t, request{body: tokenBody(ccBody(a, sign(t, a.key, jose.RS256, e.claims(a))))}); got.status != http.StatusUnauthorized {
		t.Fatalf("token after delete: %s", got.raw)
	}
}

// TestRevokedInstitutionKey: a revoked key manages nothing.
func TestRevokedInstitutionKey(t *testing.T) {
	e := newEndpoint(t)
	if err := e.store.RevokeInstitutionKey(t.Context(), instA, "key-"+instA, t0); err != nil {
		t.Fatal(err)
	}
	got := e.call(t, request{path: "/institutions/oauth/create", key: e.keyA, body: createBody("X", publicPEM(t, testRSAKey(t)))})
	if got.status != http.StatusUnauthorized || !strings.Contains(got.raw, "revoked") {
		t.Fatalf("revoked key: %s", got.raw)
	}
}

// TestSharedValidation: application management applies the core's client rules (the
// admin API's) after its own, so what only the core refuses is a 400 naming the field,
// and every change is in the audit log with the institution key as actor.
func TestSharedValidation(t *testing.T) {
	e := newEndpoint(t)
	a := e.createApp(t, e.keyA, testRSAKey(t), certPEM(t, testRSAKey(t), "fintech.example"))
	var m map[string]any
	_ = json.Unmarshal([]byte(createBody("Dup", publicPEM(t, testRSAKey(t)))), &m)
	m["scopes"] = []string{"READ", "READ"}
	b, _ := json.Marshal(m)
	got := e.call(t, request{path: "/institutions/oauth/create", key: e.keyA, body: string(b)})
	if got.status != http.StatusBadRequest || !strings.Contains(got.raw, `scopes[1]: duplicate scope \"READ\"`) {
		t.Fatalf("duplicate scopes on create: %d %s", got.status, got.raw)
	}
	got = e.call(t, request{method: http.MethodPut, path: "/institutions/oauth/" + a.appKey, key: e.keyA, body: `{"name":"Bell\u0007"}`})
	if got.status != http.StatusBadRequest || !strings.Contains(got.raw, "name: must not contain control characters") {
		t.Fatalf("control character in name on update: %d %s", got.status, got.raw)
	}
	page, err := e.store.ListAudit(t.Context(), jeton.AuditFilter{Action: "cardcore.app.create"})
	evs := page.Events
	if err != nil || len(evs) != 1 || evs[0].Subject != a.clientID || evs[0].Actor != "institution-key:key-"+instA {
		t.Fatalf("audit of the creation: %+v, %v", evs, err)
	}
}

package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// TestExplicitEmptyDefaultScopes: omitted default_scopes means every allowed scope;
// an explicit empty list means none.
func TestExplicitEmptyDefaultScopes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	none, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "No defaults",
		Scopes: []string{"accounts:read"}, DefaultScopes: []string{}})
	if err != nil || len(none.DefaultScopes) != 0 {
		t.Fatalf("an explicit empty default_scopes must stay empty: %v %v", err, none.DefaultScopes)
	}
}

func TestCreateClientDefaults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	e.invalidations()
	cc, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "Partner app", Scopes: []string{"accounts:read"}})
	if err != nil {
		t.Fatal(err)
	}
	v := cc.ClientView
	if len(v.ClientID) != 32 || v.Status != jeton.ClientActive || v.AuthMethod != jeton.AuthSecretBasic ||
		!slices.Equal(v.Grants, []string{"client_credentials"}) || !slices.Equal(v.DefaultScopes, []string{"accounts:read"}) ||
		v.TokenFormat != jeton.FormatJWT || v.AccessTokenTTL != 3600 || v.RefreshTokenTTL != 30*86400 ||
		v.SigningAlg != "ES256" || !slices.Equal(v.Institutions, []string{inst.ID}) {
		t.Fatalf("defaults not applied: %+v", v)
	}
	if len(cc.ClientSecret) != 43 {
		t.Fatalf("client_secret %q; want 43 base64url characters", cc.ClientSecret)
	}
	stored, err := e.store.GetClient(ctx, v.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if !jeton.DigestEqual(cc.ClientSecret, stored.SecretDigest) {
		t.Fatal("stored digest does not match the secret shown")
	}
	if stored.AccessTokenTTL != time.Hour || stored.RefreshTokenTTL != 30*24*time.Hour {
		t.Fatalf("stored TTLs %v %v", stored.AccessTokenTTL, stored.RefreshTokenTTL)
	}
	if got := e.invalidations(); !slices.Equal(got, []string{v.ClientID}) {
		t.Fatalf("invalidated %v", got)
	}
	// The secret is shown once: reads never carry it.
	a := e.raw("GET", "/admin/v1/clients/"+v.ClientID, "")
	if a.status != 200 || bytes.Contains(a.body, []byte(`"client_secret"`)) {
		t.Fatalf("GET client: %d %s", a.status, a.body)
	}
	list, err := e.c.ListClients(ctx, inst.ID)
	if err != nil || len(list) != 1 || list[0].ClientID != v.ClientID {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if all, _ := e.c.ListClients(ctx, ""); len(all) != 1 {
		t.Fatalf("list all = %+v", all)
	}
	e.raw("GET", "/admin/v1/clients?institution_id=nope", "").wantError(t, 404, "not_found", "")
	e.raw("GET", "/admin/v1/clients/nope", "").wantError(t, 404, "not_found", "")
}

func TestCreateClientFull(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := mustInstitution(t, e, "Owner")
	other := mustInstitution(t, e, "Other")
	cc, err := e.c.CreateClient(ctx, adminapi.ClientInput{
		InstitutionID: owner.ID, Name: "Mobile", AuthMethod: jeton.AuthNone,
		Grants: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "accounts:read"},
		DefaultScopes: []string{"openid"}, RedirectURIs: []string{"https://app.example/cb", "http://127.0.0.1:8080/cb", "http://[::1]/cb"},
		TokenFormat: jeton.FormatOpaque, AccessTokenTTL: adminapi.Ptr[int64](60), RefreshTokenTTL: adminapi.Ptr[int64](365 * 86400),
		SigningAlg: "EdDSA", Institutions: []string{other.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cc.ClientSecret != "" {
		t.Fatal("a public client must get no secret")
	}
	if !slices.Equal(cc.Institutions, []string{owner.ID, other.ID}) || cc.AccessTokenTTL != 60 || cc.TokenFormat != "opaque" {
		t.Fatalf("created %+v", cc.ClientView)
	}
	stored, _ := e.store.GetClient(ctx, cc.ClientID)
	if len(stored.SecretDigest) != 0 {
		t.Fatal("public client stored with a secret digest")
	}
}

// validClient is a correct registration body; each case below breaks one field.
func validClient(instID string) map[string]any {
	return map[string]any{
		"institution_id": instID, "name": "App", "auth_method": "client_secret_post",
		"grants": []string{"client_credentials", "password", "refresh_token"}, "scopes": []string{"a", "b"},
		"default_scopes": []string{"a"}, "token_format": "jwt", "access_token_ttl": 600,
		"refresh_token_ttl": 86400, "signing_alg": "RS256",
	}
}

func TestCreateClientValidation(t *testing.T) {
	e := newEnv(t)
	inst := mustInstitution(t, e, "Bank")
	manyScopes := make([]string, 101)
	for i := range manyScopes {
		manyScopes[i] = "s" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	cases := []struct {
		name  string
		set   map[string]any
		field string
	}{
		{"missing institution", map[string]any{"institution_id": ""}, "institution_id"},
		{"unknown institution", map[string]any{"institution_id": "nope"}, "institution_id"},
		{"missing name", map[string]any{"name": ""}, "name"},
		{"control in name", map[string]any{"name": "a\tb"}, "name"},
		{"long name", map[string]any{"name": strings.Repeat("n", 201)}, "name"},
		{"unknown auth method", map[string]any{"auth_method": "client_secret_carrier_pigeon"}, "auth_method"},
		{"tls_client_auth without DN or SAN", map[string]any{"auth_method": "tls_client_auth"}, "tls_client_auth_subject_dn"},
		{"tls_client_auth with DN and SAN", map[string]any{"auth_method": "tls_client_auth",
			"tls_client_auth_subject_dn": "CN=app", "tls_client_auth_san_dns": "app.example"}, "tls_client_auth_subject_dn"},
		{"DN for another method", map[string]any{"tls_client_auth_subject_dn": "CN=app"}, "tls_client_auth_subject_dn"},
		{"control in DN", map[string]any{"auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=a\nb"}, "tls_client_auth_subject_dn"},
		{"long SAN", map[string]any{"auth_method": "tls_client_auth", "tls_client_auth_san_dns": strings.Repeat("a", 1025)}, "tls_client_auth_san_dns"},
		{"self-signed without certificate", map[string]any{"auth_method": "self_signed_tls_client_auth"}, "public_keys"},
		{"empty grants", map[string]any{"grants": []string{}}, "grants"},
		{"unknown grant", map[string]any{"grants": []string{"client_credentials", "foo"}}, "grants[1]"},
		{"implicit grant", map[string]any{"grants": []string{"implicit"}}, "grants[0]"},
		{"duplicate grant", map[string]any{"grants": []string{"password", "password"}}, "grants[1]"},
		{"lone refresh", map[string]any{"grants": []string{"client_credentials", "refresh_token"}}, "grants"},
		{"scope with space", map[string]any{"scopes": []string{"a", "b c"}}, "scopes[1]"},
		{"scope with quote", map[string]any{"scopes": []string{`a"`}}, "scopes[0]"},
		{"scope with backslash", map[string]any{"scopes": []string{`a\b`}}, "scopes[0]"},
		{"scope non-ascii", map[string]any{"scopes": []string{"é"}}, "scopes[0]"},
		{"empty scope", map[string]any{"scopes": []string{""}}, "scopes[0]"},
		{"long scope", map[string]any{"scopes": []string{strings.Repeat("s", 129)}, "default_scopes": []string{}}, "scopes[0]"},
		{"duplicate scope", map[string]any{"scopes": []string{"a", "b", "a"}}, "scopes[2]"},
		{"too many scopes", map[string]any{"scopes": manyScopes, "default_scopes": []string{}}, "scopes"},
		{"default not in scopes", map[string]any{"default_scopes": []string{"a", "c"}}, "default_scopes[1]"},
		{"bad default scope", map[string]any{"default_scopes": []string{"a b"}}, "default_scopes[0]"},
		{"relative redirect", map[string]any{"redirect_uris": []string{"/cb"}}, "redirect_uris[0]"},
		{"http redirect", map[string]any{"redirect_uris": []string{"https://ok.example/cb", "http://app.example/cb"}}, "redirect_uris[1]"},
		{"http lookalike", map[string]any{"redirect_uris": []string{"http://localhost.evil.example/cb"}}, "redirect_uris[0]"},
		{"fragment", map[string]any{"redirect_uris": []string{"https://app.example/cb#x"}}, "redirect_uris[0]"},
		{"empty fragment", map[string]any{"redirect_uris": []string{"https://app.example/cb#"}}, "redirect_uris[0]"},
		{"custom scheme", map[string]any{"redirect_uris": []string{"javascript://x/alert(1)"}}, "redirect_uris[0]"},
		{"userinfo", map[string]any{"redirect_uris": []string{"https://u:p@app.example/cb"}}, "redirect_uris[0]"},
		{"duplicate redirect", map[string]any{"redirect_uris": []string{"https://a.example/", "https://a.example/"}}, "redirect_uris[1]"},
		{"code without redirect", map[string]any{"grants": []string{"authorization_code"}}, "redirect_uris"},
		{"token format", map[string]any{"token_format": "saml"}, "token_format"},
		{"access ttl low", map[string]any{"access_token_ttl": 59}, "access_token_ttl"},
		{"access ttl zero", map[string]any{"access_token_ttl": 0}, "access_token_ttl"},
		{"access ttl high", map[string]any{"access_token_ttl": 86401}, "access_token_ttl"},
		{"access ttl overflow", map[string]any{"access_token_ttl": int64(9223372036854775807)}, "access_token_ttl"},
		{"access ttl fraction", map[string]any{"access_token_ttl": 60.5}, "access_token_ttl"},
		{"refresh ttl high", map[string]any{"refresh_token_ttl": 365*86400 + 1}, "refresh_token_ttl"},
		{"refresh ttl negative", map[string]any{"refresh_token_ttl": -60}, "refresh_token_ttl"},
		{"signing alg", map[string]any{"signing_alg": "HS256"}, "signing_alg"},
		{"signing alg none", map[string]any{"signing_alg": "none"}, "signing_alg"},
		{"private_key_jwt without keys", map[string]any{"auth_method": "private_key_jwt"}, "public_keys"},
		{"unknown extra institution", map[string]any{"institutions": []string{"nope"}}, "institutions[0]"},
		{"duplicate extra institution", map[string]any{"institutions": []string{inst.ID, inst.ID}}, "institutions[1]"},
		{"none with client_credentials", map[string]any{"auth_method": "none", "grants": []string{"authorization_code", "client_credentials"}, "redirect_uris": []string{"https://a.example/"}}, "grants[1]"},
		{"none without code", map[string]any{"auth_method": "none"}, "grants[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := validClient(inst.ID)
			for k, v := range tc.set {
				body[k] = v
			}
			e.raw("POST", "/admin/v1/clients", mustJSON(t, body)).wantError(t, 400, "invalid_field", tc.field)
		})
	}
	// The valid body itself is accepted, so every failure above is the one field.
	if a := e.raw("POST", "/admin/v1/clients", mustJSON(t, validClient(inst.ID))); a.status != 201 {
		t.Fatalf("valid body refused: %d %s", a.status, a.body)
	}
	if list, _ := e.c.ListClients(context.Background(), inst.ID); len(list) != 1 {
		t.Fatalf("refused registrations were stored: %d clients", len(list))
	}
}

func TestUpdateClient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	other := mustInstitution(t, e, "Other")
	cc, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "App", Scopes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	id := cc.ClientID
	e.invalidations()
	e.advance(time.Minute)

	up, err := e.c.UpdateClient(ctx, id, adminapi.ClientUpdate{
		Name: adminapi.Ptr("Renamed"), Scopes: &[]string{"a", "b"}, DefaultScopes: &[]string{"b"},
		AccessTokenTTL: adminapi.Ptr[int64](120), Institutions: &[]string{other.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != "Renamed" || !slices.Equal(up.Scopes, []string{"a", "b"}) || up.AccessTokenTTL != 120 ||
		!slices.Equal(up.Institutions, []string{inst.ID, other.ID}) || up.ClientSecret != "" ||
		!up.UpdatedAt.Equal(e.clock()) || up.AuthMethod != jeton.AuthSecretBasic {
		t.Fatalf("updated %+v", up)
	}
	stored, _ := e.store.GetClient(ctx, id)
	if !jeton.DigestEqual(cc.ClientSecret, stored.SecretDigest) {
		t.Fatal("an unrelated update changed the secret")
	}

	// The merged client is validated as a whole.
	_, err = e.c.UpdateClient(ctx, id, adminapi.ClientUpdate{Scopes: &[]string{"a"}})
	if ae := asAPIError(t, err); ae.Status != 400 || ae.Field != "default_scopes[0]" {
		t.Fatalf("default scope dropped from scopes: %+v", ae)
	}
	e.raw("PATCH", "/admin/v1/clients/"+id, `{"status":"deleted"}`).wantError(t, 400, "invalid_field", "status")
	e.raw("PATCH", "/admin/v1/clients/"+id, `{"grants":["x"]}`).wantError(t, 400, "invalid_field", "grants[0]")
	e.raw("PATCH", "/admin/v1/clients/"+id, `{"client_id":"x"}`).wantError(t, 400, "invalid_field", "client_id")
	e.raw("PATCH", "/admin/v1/clients/"+id, `{"refresh_token_ttl":10}`).wantError(t, 400, "invalid_field", "refresh_token_ttl")
	e.raw("PATCH", "/admin/v1/clients/nope", `{"name":"x"}`).wantError(t, 404, "not_found", "")

	if v, err := e.c.DisableClient(ctx, id); err != nil || v.Status != jeton.ClientDisabled {
		t.Fatalf("disable = %+v, %v", v, err)
	}
	if v, err := e.c.EnableClient(ctx, id); err != nil || v.Status != jeton.ClientActive {
		t.Fatalf("enable = %+v, %v", v, err)
	}
	if ev := e.events.Events(); len(ev) != 1 || ev[0].Kind != jeton.EventClientDisabled || ev[0].ClientID != id ||
		ev[0].InstitutionID != inst.ID || !ev[0].At.Equal(e.clock()) {
		t.Fatalf("security events %+v; want one client.disabled of %s", ev, id)
	}

	// Switching to private_key_jwt drops the secret; switching back issues a new one.
	pub := ecPEM(t)
	up, err = e.c.UpdateClient(ctx, id, adminapi.ClientUpdate{
		AuthMethod: adminapi.Ptr(jeton.AuthPrivateKey), PublicKeys: &[]jeton.ClientKey{{Format: jeton.KeyPEM, Data: pub}},
	})
	if err != nil || up.ClientSecret != "" {
		t.Fatalf("to private_key_jwt: %+v, %v", up, err)
	}
	if stored, _ := e.store.GetClient(ctx, id); len(stored.SecretDigest) != 0 {
		t.Fatal("secret digest kept after switching to private_key_jwt")
	}
	up, err = e.c.UpdateClient(ctx, id, adminapi.ClientUpdate{AuthMethod: adminapi.Ptr(jeton.AuthSecretJWT)})
	if err != nil || len(up.ClientSecret) != 43 {
		t.Fatalf("back to a secret method: %+v, %v", up, err)
	}
	if stored, _ := e.store.GetClient(ctx, id); !jeton.DigestEqual(up.ClientSecret, stored.SecretDigest) {
		t.Fatal("new secret not stored")
	}
	if got := e.invalidations(); len(got) != 5 || slices.ContainsFunc(got, func(s string) bool { return s != id }) {
		t.Fatalf("invalidations %v; want 5 of %s", got, id)
	}
}

func TestDeleteClient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	cc, _ := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "App"})
	e.invalidations()
	if err := e.c.DeleteClient(ctx, cc.ClientID); err != nil {
		t.Fatal(err)
	}
	if got := e.invalidations(); !slices.Equal(got, []string{cc.ClientID}) {
		t.Fatalf("invalidated %v", got)
	}
	v, err := e.c.GetClient(ctx, cc.ClientID)
	if err != nil || v.Status != jeton.ClientDeleted {
		t.Fatalf("after delete: %+v, %v", v, err)
	}
	if stored, _ := e.store.GetClient(ctx, cc.ClientID); len(stored.SecretDigest) != 0 {
		t.Fatal("deleted client keeps a secret")
	}
	// Deleting again is idempotent; changing or re-enabling is a conflict.
	if err := e.c.DeleteClient(ctx, cc.ClientID); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	_, err = e.c.EnableClient(ctx, cc.ClientID)
	if ae := asAPIError(t, err); ae.Status != http.StatusConflict || ae.Code != "conflict" {
		t.Fatalf("enable deleted: %+v", ae)
	}
	_, err = e.c.RotateSecret(ctx, cc.ClientID, 0)
	if ae := asAPIError(t, err); ae.Status != http.StatusConflict {
		t.Fatalf("rotate deleted: %+v", ae)
	}
	if err := e.c.DeleteClient(ctx, "nope"); asAPIError(t, err).Status != 404 {
		t.Fatalf("delete unknown: %v", err)
	}
}

func TestRotateSecret(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	cc, _ := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "App"})
	oldSecret := cc.ClientSecret
	e.invalidations()

	rot, err := e.c.RotateSecret(ctx, cc.ClientID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if rot.ClientSecret == "" || rot.ClientSecret == oldSecret {
		t.Fatalf("no new secret: %+v", rot)
	}
	wantExpiry := e.clock().Add(time.Hour)
	if rot.PreviousSecretExpiresAt == nil || !rot.PreviousSecretExpiresAt.Equal(wantExpiry) {
		t.Fatalf("previous_secret_expires_at = %v; want %v", rot.PreviousSecretExpiresAt, wantExpiry)
	}
	stored, _ := e.store.GetClient(ctx, cc.ClientID)
	if !jeton.DigestEqual(rot.ClientSecret, stored.SecretDigest) ||
		!jeton.DigestEqual(oldSecret, stored.PreviousSecretDigest) || !stored.PreviousSecretExpiresAt.Equal(wantExpiry) {
		t.Fatalf("stored after grace rotation: %+v", stored)
	}
	if got := e.invalidations(); !slices.Equal(got, []string{cc.ClientID}) {
		t.Fatalf("invalidated %v", got)
	}
	// Within the grace period the view shows it; after it, not.
	e.advance(59 * time.Minute)
	if v, _ := e.c.GetClient(ctx, cc.ClientID); v.PreviousSecretExpiresAt == nil {
		t.Fatal("grace period hidden before it ended")
	}
	e.advance(2 * time.Minute)
	if v, _ := e.c.GetClient(ctx, cc.ClientID); v.PreviousSecretExpiresAt != nil {
		t.Fatal("grace period shown after it ended")
	}

	// Without grace the old secret stops at once.
	rot2, err := e.c.RotateSecret(ctx, cc.ClientID, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ = e.store.GetClient(ctx, cc.ClientID)
	if !jeton.DigestEqual(rot2.ClientSecret, stored.SecretDigest) || len(stored.PreviousSecretDigest) != 0 ||
		!stored.PreviousSecretExpiresAt.IsZero() || rot2.PreviousSecretExpiresAt != nil {
		t.Fatalf("stored after immediate rotation: %+v", stored)
	}

	// An empty body means no grace.
	if a := e.rawAuth("POST", "/admin/v1/clients/"+cc.ClientID+"/secret", "", "Bearer "+testToken); a.status != 200 {
		t.Fatalf("empty body: %d %s", a.status, a.body)
	}
	path := "/admin/v1/clients/" + cc.ClientID + "/secret"
	e.raw("POST", path, `{"grace_seconds":2592001}`).wantError(t, 400, "invalid_field", "grace_seconds")
	e.raw("POST", path, `{"grace_seconds":-1}`).wantError(t, 400, "invalid_field", "grace_seconds")
	e.raw("POST", path, `{"grace":60}`).wantError(t, 400, "invalid_field", "grace")
	e.raw("POST", "/admin/v1/clients/nope/secret", `{}`).wantError(t, 404, "not_found", "")

	pk, _ := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "PK", AuthMethod: jeton.AuthPrivateKey,
		PublicKeys: []jeton.ClientKey{{Format: jeton.KeyPEM, Data: ecPEM(t)}}})
	e.raw("POST", "/admin/v1/clients/"+pk.ClientID+"/secret", `{}`).wantError(t, 409, "conflict", "")
}

func TestClientJSONShape(t *testing.T) {
	e := newEnv(t)
	inst := mustInstitution(t, e, "Bank")
	a := e.raw("POST", "/admin/v1/clients", `{"institution_id":"`+inst.ID+`","name":"App"}`)
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"client_id", "client_secret", "redirect_uris", "public_keys", "default_scopes", "scopes"} {
		if _, ok := m[k]; !ok {
			t.Errorf("answer lacks %q: %s", k, a.body)
		}
	}
	for _, k := range []string{"secret_digest", "SecretDigest", "previous_secret_expires_at"} {
		if _, ok := m[k]; ok {
			t.Errorf("answer has %q", k)
		}
	}
}

// Disabling a client is a security event; disabling it again, or changing anything
// else, is not.
func TestDisableClientIsASecurityEvent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	cc, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "App", Scopes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.c.DisableClient(ctx, cc.ClientID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.c.UpdateClient(ctx, cc.ClientID, adminapi.ClientUpdate{Name: adminapi.Ptr("Renamed")}); err != nil {
		t.Fatal(err)
	}
	if ev := e.events.Events(); len(ev) != 1 || ev[0].Kind != jeton.EventClientDisabled || ev[0].ClientID != cc.ClientID {
		t.Fatalf("security events %+v; want one client.disabled", ev)
	}
}

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// TestCLIOIDCSettings: client create/update with --redirect-uri (repeatable),
// --public, --first-party and --require-par; customer consents list/revoke; branding.
func TestCLIOIDCSettings(t *testing.T) {
	ctx := context.Background()
	st, url := adminServerStore(t)
	conn := []string{"--server", url, "--token", "cli-token", "--data-dir", t.TempDir(), "-o", "json"}
	run := func(stdin string, args ...string) map[string]any {
		t.Helper()
		out, errOut, err := runCLI(t, stdin, append(args, conn...)...)
		if err != nil {
			t.Fatalf("jeton %v: %v\n%s", args, err, errOut)
		}
		return decodeOne(t, out)
	}
	inst := run("", "institution", "create", "--name", "Bank")["id"].(string)
	c := run("", "client", "create", "--institution", inst, "--name", "SPA", "--public", "--first-party", "--require-par",
		"--grant", "authorization_code", "--scope", "openid email",
		"--redirect-uri", "https://app.example/cb", "--redirect-uri", "http://127.0.0.1:8080/cb")
	if c["auth_method"] != "none" || c["first_party"] != true || c["require_par"] != true || c["client_secret"] != nil {
		t.Fatalf("public client: %v", c)
	}
	if uris, _ := c["redirect_uris"].([]any); len(uris) != 2 {
		t.Errorf("redirect_uris %v", c["redirect_uris"])
	}
	id := c["client_id"].(string)
	up := run("", "client", "update", id, "--first-party=false", "--require-par=false")
	if up["first_party"] != false || up["require_par"] != false {
		t.Fatalf("update: %v", up)
	}
	if _, errOut, err := runCLI(t, "", append([]string{"client", "create", "--institution", inst, "--public", "--auth-method", "client_secret_basic"}, conn...)...); err == nil {
		t.Fatalf("--public with another auth method accepted: %s", errOut)
	}

	cu := run("pw long enough\n", "customer", "create", "--institution", inst, "--username", "alice")["id"].(string)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SaveConsent(ctx, jeton.Consent{InstitutionID: inst, CustomerID: cu, ClientID: id, Scope: []string{"openid"}, GrantedAt: time.Now()}))
	out, _, err := runCLI(t, "", append([]string{"customer", "consents", "list", "--institution", inst, cu}, conn...)...)
	if err != nil || !strings.Contains(out, id) {
		t.Fatalf("consents list: %v %s", err, out)
	}
	if got := run("", "customer", "consents", "revoke", "--institution", inst, cu); got["revoked"] != float64(1) {
		t.Fatalf("revoke: %v", got)
	}
	if _, err := st.GetConsent(ctx, inst, cu, id); err == nil {
		t.Fatal("consent survived the revocation")
	}
	b := run("", "institution", "branding", inst, "--display-name", "My Bank", "--accent-color", "#123456", "--logo-url", "https://bank.example/logo.svg")
	if b["accent_color"] != "#123456" || b["display_name"] != "My Bank" {
		t.Fatalf("branding %v", b)
	}
	if _, _, err := runCLI(t, "", append([]string{"institution", "branding", inst, "--accent-color", "red"}, conn...)...); err == nil {
		t.Fatal("accent colour 'red' accepted")
	}
	if _, _, err := runCLI(t, "", append([]string{"institution", "branding", inst, "--logo-url", "javascript:alert(1)"}, conn...)...); err == nil {
		t.Fatal("javascript: logo accepted")
	}
}

package main

import (
	"path/filepath"
	"testing"

	"github.com/jeton/jeton/internal/testcert"
)

// TestCLIClientSenderFlags: the sender-constraint settings take the RFC client-metadata
// names in kebab case, the mTLS methods are --auth-method values, and a
// self_signed_tls_client_auth client's certificate comes with --public-key.
func TestCLIClientSenderFlags(t *testing.T) {
	_, url := adminServerStore(t)
	conn := []string{"--server", url, "--token", "cli-token", "--data-dir", t.TempDir(), "-o", "json"}
	run := func(args ...string) (map[string]any, error) {
		t.Helper()
		out, _, err := runCLI(t, "", append(args, conn...)...)
		if err != nil {
			return nil, err
		}
		return decodeOne(t, out), nil
	}
	inst, err := run("institution", "create", "--name", "Bank")
	if err != nil {
		t.Fatal(err)
	}
	instID := inst["id"].(string)
	c, err := run("client", "create", "--institution", instID, "--name", "DPoP", "--dpop-bound-access-tokens")
	if err != nil || c["dpop_bound_access_tokens"] != true {
		t.Fatalf("--dpop-bound-access-tokens: %v %v", c, err)
	}
	c, err = run("client", "update", c["client_id"].(string), "--dpop-bound-access-tokens=false", "--tls-client-certificate-bound-access-tokens")
	if err != nil || c["dpop_bound_access_tokens"] != false || c["tls_client_certificate_bound_access_tokens"] != true {
		t.Fatalf("update: %v %v", c, err)
	}
	c, err = run("client", "create", "--institution", instID, "--name", "PKI", "--auth-method", "tls_client_auth",
		"--tls-client-auth-subject-dn", "CN=partner,O=Partner Ltd")
	if err != nil || c["auth_method"] != "tls_client_auth" || c["tls_client_auth_subject_dn"] != "CN=partner,O=Partner Ltd" || c["client_secret"] != nil {
		t.Fatalf("tls_client_auth: %v %v", c, err)
	}
	c, err = run("client", "update", c["client_id"].(string), "--tls-client-auth-subject-dn", "", "--tls-client-auth-san-dns", "partner.example")
	if err != nil || c["tls_client_auth_san_dns"] != "partner.example" || c["tls_client_auth_subject_dn"] != nil {
		t.Fatalf("DN to SAN: %v %v", c, err)
	}
	certFile := filepath.Join(t.TempDir(), "partner.crt")
	testcert.New(t, "partner").Write(t, certFile, certFile+".key")
	c, err = run("client", "create", "--institution", instID, "--name", "Self", "--auth-method", "self_signed_tls_client_auth", "--public-key", certFile)
	if err != nil || c["auth_method"] != "self_signed_tls_client_auth" || len(c["public_keys"].([]any)) != 1 {
		t.Fatalf("self_signed_tls_client_auth: %v %v", c, err)
	}
	for name, args := range [][]string{
		{"client", "create", "--institution", instID, "--name", "x", "--auth-method", "tls_client_auth"},
		{"client", "create", "--institution", instID, "--name", "x", "--auth-method", "self_signed_tls_client_auth"},
		{"client", "create", "--institution", instID, "--name", "x", "--tls-client-auth-san-dns", "a.example"},
	} {
		if _, err := run(args...); err == nil {
			t.Errorf("case %d: accepted", name)
		}
	}
}

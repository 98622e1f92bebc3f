package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestCLIClientJWTFlags(t *testing.T) {
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
	dir := t.TempDir()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(ec.Public())
	pemFile := filepath.Join(dir, "key.pem")
	os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "k1", Use: "sig"}}})
	jwksFile := filepath.Join(dir, "jwks.json")
	os.WriteFile(jwksFile, set, 0o600)

	inst, err := run("institution", "create", "--name", "Bank")
	if err != nil {
		t.Fatal(err)
	}
	instID := inst["id"].(string)
	c, err := run("client", "create", "--institution", instID, "--name", "PK",
		"--grant", "password,refresh_token", "--grant", "client_credentials",
		"--auth-method", "private_key_jwt", "--public-key", pemFile, "--token-format", "opaque", "--refresh-rotation", "off")
	if err != nil {
		t.Fatal(err)
	}
	if g := c["grants"].([]any); len(g) != 3 || g[0] != "password" || g[1] != "refresh_token" || g[2] != "client_credentials" {
		t.Fatalf("grants %v", g)
	}
	if c["auth_method"] != "private_key_jwt" || c["token_format"] != "opaque" || c["refresh_rotation"] != "off" ||
		len(c["public_keys"].([]any)) != 1 || c["client_secret"] != nil {
		t.Fatalf("client %v", c)
	}
	id := c["client_id"].(string)

	// --jwks-uri replaces the keys; --jwks replaces the URI.
	c, err = run("client", "update", id, "--jwks-uri", "https://partner.example/jwks.json", "--refresh-rotation", "on")
	if err != nil {
		t.Fatal(err)
	}
	if c["jwks_uri"] != "https://partner.example/jwks.json" || len(c["public_keys"].([]any)) != 0 || c["refresh_rotation"] != "on" {
		t.Fatalf("after --jwks-uri: %v", c)
	}
	c, err = run("client", "update", id, "--jwks", jwksFile)
	if err != nil {
		t.Fatal(err)
	}
	if c["jwks_uri"] != nil || len(c["public_keys"].([]any)) != 1 {
		t.Fatalf("after --jwks: %v", c)
	}

	// client_secret_jwt: the secret is printed once, like the other secret methods.
	hs, err := run("client", "create", "--institution", instID, "--name", "HS", "--auth-method", "client_secret_jwt")
	if err != nil || hs["client_secret"] == nil {
		t.Fatalf("client_secret_jwt create: %v, %v", hs, err)
	}

	for name, args := range map[string][]string{
		"jwks file as --public-key": {"client", "update", id, "--public-key", jwksFile},
		"pem file as --jwks":        {"client", "update", id, "--jwks", pemFile},
		"bad rotation":              {"client", "update", id, "--refresh-rotation", "sometimes"},
		"http jwks_uri":             {"client", "update", id, "--jwks-uri", "http://partner.example/jwks"},
	} {
		if _, err := run(args...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSplitGrants(t *testing.T) {
	got := splitGrants([]string{"password,refresh_token", " client_credentials ", "a, b", ""})
	want := []string{"password", "refresh_token", "client_credentials", "a", "b"}
	if len(got) != len(want) {
		t.Fatalf("splitGrants = %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("splitGrants = %q", got)
		}
	}
}

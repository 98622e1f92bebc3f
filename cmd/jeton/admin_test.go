package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

func TestAdminConnResolve(t *testing.T) {
	withFiles := t.TempDir()
	os.WriteFile(filepath.Join(withFiles, adminURLFile), []byte("http://127.0.0.1:9001\n"), 0o600)
	os.WriteFile(filepath.Join(withFiles, adminTokenFile), []byte("file-token\n"), 0o600)
	onlyURL := t.TempDir()
	os.WriteFile(filepath.Join(onlyURL, adminURLFile), []byte("http://127.0.0.1:9002"), 0o600)
	emptyToken := t.TempDir()
	os.WriteFile(filepath.Join(emptyToken, adminURLFile), []byte("http://127.0.0.1:9003"), 0o600)
	os.WriteFile(filepath.Join(emptyToken, adminTokenFile), []byte(" \n"), 0o600)
	none := t.TempDir()

	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name                  string
		conn                  adminConn
		env                   map[string]string
		wantServer, wantToken string
		wantErr               string
	}{
		{"data dir", adminConn{dataDir: withFiles}, nil, "http://127.0.0.1:9001", "file-token", ""},
		{"env beats data dir", adminConn{dataDir: withFiles},
			map[string]string{envAdminURL: "https://env.example", envAdminToken: "env-token"}, "https://env.example", "env-token", ""},
		{"flags beat env", adminConn{dataDir: withFiles, server: "http://flag:1", token: "flag-token"},
			map[string]string{envAdminURL: "https://env.example", envAdminToken: "env-token"}, "http://flag:1", "flag-token", ""},
		{"each value on its own", adminConn{dataDir: withFiles, token: "flag-token"},
			map[string]string{envAdminURL: "https://env.example"}, "https://env.example", "flag-token", ""},
		{"flags alone", adminConn{dataDir: none, server: "http://x", token: "t"}, nil, "http://x", "t", ""},
		{"nothing", adminConn{dataDir: none}, nil, "", "", "pass --server, set JETON_ADMIN_URL"},
		{"no token", adminConn{dataDir: onlyURL}, nil, "", "", "pass --token, set JETON_ADMIN_TOKEN"},
		{"empty token file", adminConn{dataDir: emptyToken}, nil, "", "", "is empty"},
		{"bad scheme", adminConn{dataDir: none, server: "127.0.0.1:8081", token: "t"}, nil, "", "", "want an http:// or https:// URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, tok, err := tc.conn.resolve(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v; want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || s != tc.wantServer || tok != tc.wantToken {
				t.Fatalf("got %q, %q, %v; want %q, %q", s, tok, err, tc.wantServer, tc.wantToken)
			}
		})
	}
}

// adminServer is a real admin API on SQLite for the CLI to talk to.
func adminServer(t *testing.T) (url string) {
	_, url = adminServerStore(t)
	return url
}

// adminServerStore is adminServer with its store, for tests that check what the CLI
// stored. It has a key-encryption key, so client_secret_jwt clients can be made.
func adminServerStore(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	st := sqlitetest.New(t)
	srv := httptest.NewServer(adminapi.New(adminapi.Config{
		Store: st, Token: "cli-token", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Password: password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}, KEK: make([]byte, 32),
	}))
	t.Cleanup(srv.Close)
	return st, srv.URL
}

// runCLI runs the jeton command line with args and stdin, returning stdout, stderr.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

// decodeOne requires out to be exactly one JSON object.
func decodeOne(t *testing.T, out string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", out)
	}
	return m
}

func TestCLIAgainstAdminAPI(t *testing.T) {
	url := adminServer(t)
	conn := []string{"--server", url, "--token", "cli-token", "--data-dir", t.TempDir()}
	run := func(stdin string, args ...string) (string, string, error) {
		return runCLI(t, stdin, append(args, conn...)...)
	}

	out, _, err := run("", "institution", "create", "--name", "First Bank", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	inst := decodeOne(t, out)
	instID, _ := inst["id"].(string)
	if len(instID) != 32 || inst["name"] != "First Bank" {
		t.Fatalf("institution %v", inst)
	}

	out, _, err = run("", "client", "create", "--institution", instID, "--name", "Partner app",
		"--scope", "accounts:read payments:write", "--scope", "openid", "--default-scope", "openid",
		"--access-ttl", "15m", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	cl := decodeOne(t, out)
	clientID, _ := cl["client_id"].(string)
	secret, _ := cl["client_secret"].(string)
	if len(clientID) != 32 || len(secret) != 43 || cl["access_token_ttl"] != float64(900) {
		t.Fatalf("client %v", cl)
	}
	if got := cl["scopes"].([]any); len(got) != 3 {
		t.Fatalf("space-separated --scope not split: %v", got)
	}

	// Table output: the secret is there, with a warning on stderr.
	out, errOut, err := run("", "client", "rotate-secret", clientID, "--grace", "1h")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\nclient_secret ") || !strings.Contains(out, "previous_secret_expires_at") ||
		!strings.Contains(errOut, "cannot be shown again") {
		t.Fatalf("rotate-secret table:\n%s\nstderr: %s", out, errOut)
	}
	out, _, err = run("", "client", "show", clientID)
	if err != nil || strings.Contains(out, "\nclient_secret ") || !strings.Contains(out, "accounts:read payments:write openid") {
		t.Fatalf("show: %v\n%s", err, out)
	}
	out, _, err = run("", "client", "list", "--institution", instID)
	if err != nil || !strings.HasPrefix(out, "CLIENT_ID") || !strings.Contains(out, clientID) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, _, err = run("", "client", "update", clientID, "--name", "Renamed", "-o", "json")
	if err != nil || decodeOne(t, out)["name"] != "Renamed" {
		t.Fatalf("update: %v\n%s", err, out)
	}
	if _, _, err := run("", "client", "disable", clientID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run("", "client", "delete", clientID); err != nil {
		t.Fatal(err)
	}
	_, _, err = run("", "client", "enable", clientID)
	var ae *adminapi.APIError
	if !errors.As(err, &ae) || ae.Status != 409 {
		t.Fatalf("enable deleted: %v", err)
	}

	// Customers: the password comes from stdin, never from a flag.
	out, _, err = run("s3cret pass\n", "customer", "create", "--institution", instID, "--username", "alice",
		"--claim", "email=a@example.com", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	cu := decodeOne(t, out)
	cuID, _ := cu["id"].(string)
	if len(cuID) != 32 || cu["claims"].(map[string]any)["email"] != "a@example.com" {
		t.Fatalf("customer %v", cu)
	}
	if _, _, err := run("new pass word\r\n", "customer", "set-password", "--institution", instID, cuID); err != nil {
		t.Fatal(err)
	}
	_, _, err = run("short\n", "customer", "set-password", "--institution", instID, cuID)
	if err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Fatalf("short password: %v", err)
	}
	out, _, err = run("", "customer", "list", "--institution", instID, "-o", "json")
	if err != nil || !strings.Contains(out, cuID) {
		t.Fatalf("customer list: %v\n%s", err, out)
	}

	// Errors name the field.
	_, _, err = run("", "client", "create", "--institution", instID, "--name", "x", "--grant", "foo")
	if err == nil || !strings.Contains(err.Error(), `grants[0]: unknown grant type "foo"`) {
		t.Fatalf("bad grant: %v", err)
	}
	_, _, err = run("", "institution", "list", "-o", "yaml")
	if err == nil || !strings.Contains(err.Error(), "--output") {
		t.Fatalf("bad output: %v", err)
	}
	_, _, err = runCLI(t, "", "institution", "list", "--server", url, "--token", "wrong", "--data-dir", t.TempDir())
	if !errors.As(err, &ae) || ae.Status != 401 {
		t.Fatalf("wrong token: %v", err)
	}
	// The server did not run keys; the error is still clear.
	_, _, err = run("", "key", "list")
	if !errors.As(err, &ae) || ae.Status != 503 {
		t.Fatalf("key list without keys: %v", err)
	}
}

func TestFirstLine(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"password1\n", "password1", ""},
		{"password1\r\nsecond line\n", "password1", ""},
		{"no newline at end", "no newline at end", ""},
		{"", "", "no password"},
		{"\n", "", "no password"},
		{strings.Repeat("x", password.MaxLen+5), "", "longer than"},
	}
	for _, tc := range cases {
		got, err := firstLine(strings.NewReader(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("firstLine(%.20q) err = %v; want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("firstLine(%.20q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestDetectKey(t *testing.T) {
	cases := map[string]jeton.KeyFormat{
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n":   jeton.KeyPEM,
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n": jeton.KeyX509,
		"  {\"keys\":[]}\n": jeton.KeyJWKS,
	}
	for in, want := range cases {
		k, err := detectKey([]byte(in))
		if err != nil || k.Format != want {
			t.Errorf("detectKey(%.30q) = %v, %v; want %s", in, k.Format, err, want)
		}
	}
	if _, err := detectKey([]byte("ssh-ed25519 AAAA")); err == nil {
		t.Error("an SSH key was accepted")
	}
}

func TestParseClaimsAndSplit(t *testing.T) {
	m, err := parseClaims([]string{"email=a@b.c", "note=x=y"})
	if err != nil || m["email"] != "a@b.c" || m["note"] != "x=y" {
		t.Fatalf("parseClaims = %v, %v", m, err)
	}
	for _, bad := range [][]string{{"novalue"}, {"=v"}, {"a=1", "a=2"}} {
		if _, err := parseClaims(bad); err == nil {
			t.Errorf("parseClaims(%q) accepted", bad)
		}
	}
	if got := splitWords([]string{"a b", " c ", ""}); strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("splitWords = %q", got)
	}
	if _, err := wholeSeconds("access-ttl", 1500*1e6); err == nil {
		t.Fatal("1.5s accepted as whole seconds")
	}
}

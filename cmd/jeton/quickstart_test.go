package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/postgres/pgtest"
	"golang.org/x/oauth2/clientcredentials"
)

// TestQuickstartCLI runs the README's quickstart against a live server: the admin
// commands find the server through the data dir alone, print one JSON object each,
// and the client they create gets a token that verifies against the JWKS.
func TestQuickstartCLI(t *testing.T) {
	s := startServer(t)
	t.Setenv("JETON_ADMIN_URL", "")
	t.Setenv("JETON_ADMIN_TOKEN", "")
	out, _, err := runCLI(t, "", "institution", "create", "--data-dir", s.dataDir, "--name", "First Credit Union", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	instID, _ := decodeOne(t, out)["id"].(string)
	out, _, err = runCLI(t, "", "client", "create", "--data-dir", s.dataDir, "--institution", instID, "--name", "Partner app",
		"--grant", "client_credentials", "--auth-method", "client_secret_basic", "--scope", "accounts:read", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	c := decodeOne(t, out)
	id, _ := c["client_id"].(string)
	secret, _ := c["client_secret"].(string)
	status, body := postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", id, secret)
	if status != 200 {
		t.Fatalf("token: %d %s", status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatal(err)
	}
	claims := verifyAccessToken(t, tok.AccessToken, fetchJWKS(t, s.public), jose.ES256)
	if claims.InstitutionID != instID || claims.Subject != id {
		t.Errorf("claims %+v", claims)
	}
	out, _, err = runCLI(t, "", "client", "list", "--data-dir", s.dataDir, "--institution", instID)
	if err != nil || !strings.Contains(out, id) || strings.Contains(out, secret) {
		t.Errorf("client list (table): err %v\n%s", err, out)
	}
}

// TestServeOnPostgreSQL: the same binary on PostgreSQL (migrated with --migrate),
// issuing a token (pgtest: JETON_TEST_POSTGRES or the local server).
func TestServeOnPostgreSQL(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	s := startServer(t, "--database", dsn, "--migrate")
	c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}, TokenFormat: "opaque"})
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: s.public + "/oauth2/token"}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.AccessToken) != 43 || strings.Count(tok.AccessToken, ".") != 0 {
		t.Errorf("opaque token expected, got %q", tok.AccessToken)
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "jeton.db")); err == nil {
		t.Error("a SQLite file was created although PostgreSQL was configured")
	}
}

// TestShutdownDrainsInFlightRequests: SIGTERM (context cancel) lets a request that is
// still sending its body finish and get its token.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	s := startServer(t)
	c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.public, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "grant_type=client_credentials"
	req, _ := http.NewRequest(http.MethodPost, s.public+"/oauth2/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ClientID, c.ClientSecret)
	var head strings.Builder
	_ = req.Write(&head)
	raw := head.String()
	split := len(raw) - 10 // send all but the last bytes of the body
	if _, err := conn.Write([]byte(raw[:split])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the server is now reading this request
	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	time.Sleep(100 * time.Millisecond) // shutdown has begun and is waiting for us
	select {
	case err := <-stopped:
		t.Fatalf("shutdown returned before the in-flight request finished: %v", err)
	default:
	}
	if _, err := conn.Write([]byte(raw[split:])); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufioReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("in-flight request got %d", resp.StatusCode)
	}
	if err := <-stopped; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if _, err := http.Get(s.public + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// TestReplicasSeeClientChangesAtOnce: two replicas on one PostgreSQL database, each
// caching clients for an hour; disabling the client through one replica's admin API
// stops the other replica from issuing tokens within a second (LISTEN/NOTIFY).
func TestReplicasSeeClientChangesAtOnce(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	// Replicas share the database and so must share the key-encryption key.
	t.Setenv("JETON_KEK", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	a := startServer(t, "--database", dsn, "--migrate", "--client-cache-ttl", "1h")
	b := startServer(t, "--database", dsn, "--client-cache-ttl", "1h")
	c := a.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	token := func(s *liveServer) int {
		st, _ := postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", c.ClientID, c.ClientSecret)
		return st
	}
	if token(b) != 200 { // b now caches the active client
		t.Fatal("replica b: no token for a fresh client")
	}
	if _, err := a.admin.DisableClient(context.Background(), c.ClientID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for token(b) != 401 {
		if time.Now().After(deadline) {
			t.Fatal("replica b still issues tokens for a client disabled through replica a")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"

	"github.com/jeton/jeton/adminapi"
)

// runJeton runs the jeton binary (this test binary, see TestMain) as a process of its
// own and returns its combined output and exit error.
func runJeton(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "JETON_CONFIG=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// issueToken asks s for a client_credentials token and returns it ("" on a refusal).
func issueToken(t *testing.T, base string, c adminapi.CreatedClient) string {
	t.Helper()
	st, body := postForm(t, base+"/oauth2/token", "grant_type=client_credentials", c.ClientID, c.ClientSecret)
	if st != http.StatusOK {
		return ""
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// introspect reports whether base says the token is active (RFC 7662 §2.2).
func introspect(t *testing.T, base string, c adminapi.CreatedClient, token string) map[string]any {
	t.Helper()
	st, body := postForm(t, base+"/oauth2/introspect", url.Values{"token": {token}}.Encode(), c.ClientID, c.ClientSecret)
	var out map[string]any
	if st != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("introspection: %d %s", st, body)
	}
	return out
}

// TestBackupRestoreWhileIssuing is the restore drill of docs/operations.md: `jeton
// backup`, run as its own process while tokens are being issued, makes a copy that,
// put into a new data dir with the KEK, serves the old data: clients authenticate, a
// JWT issued before the backup verifies against the new server's JWKS and introspects
// active, and so does an opaque token (a row). Without the KEK the copy does not start.
func TestBackupRestoreWhileIssuing(t *testing.T) {
	// A restored server keeps the issuer (JWT introspection checks iss).
	const issuer = "https://jeton.example"
	s := startServer(t, "--issuer", issuer)
	opaque := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}, TokenFormat: "opaque"})
	jwtClient := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	opaqueTok, jwtTok := issueToken(t, s.public, opaque), issueToken(t, s.public, jwtClient)
	if opaqueTok == "" || jwtTok == "" {
		t.Fatal("no token before the backup")
	}

	// Issue opaque tokens (a row each) from 4 goroutines while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var issued, refused atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if issueToken(t, s.public, opaque) == "" {
					refused.Add(1)
				} else {
					issued.Add(1)
				}
			}
		})
	}
	for issued.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	backup := filepath.Join(t.TempDir(), "jeton-backup.db")
	out, err := runJeton(t, "backup", "--data-dir", s.dataDir, backup)
	during := issued.Load()
	if err != nil {
		close(stop)
		wg.Wait()
		t.Fatalf("jeton backup: %v\n%s", err, out)
	}
	if !strings.Contains(out, "backed up") || !strings.Contains(out, "key-encryption key is not in it") {
		t.Errorf("backup output: %q", out)
	}
	// A second backup to the same target is refused without --force, taken with it.
	if out, err := runJeton(t, "backup", "--data-dir", s.dataDir, backup); err == nil || !strings.Contains(out, "--force") {
		t.Errorf("existing target without --force: %v %q", err, out)
	}
	if out, err := runJeton(t, "backup", "--force", "--data-dir", s.dataDir, backup); err != nil {
		t.Errorf("--force: %v %q", err, out)
	}
	close(stop)
	wg.Wait()
	// jeton restore refuses while serve has the database open.
	if out, err := runJeton(t, "restore", "--data-dir", s.dataDir, backup); err == nil || !strings.Contains(out, "in use") {
		t.Errorf("restore under a running server: %v %q", err, out)
	}
	if refused.Load() != 0 || issued.Load() <= during {
		t.Errorf("issuing during the backups: %d refused, %d issued (%d before the first backup finished)", refused.Load(), issued.Load(), during)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	// Restore into a new data dir, the KEK copied beside it.
	restored := t.TempDir()
	if out, err := runJeton(t, "restore", "--data-dir", restored, backup); err != nil || !strings.Contains(out, "restored") {
		t.Fatalf("jeton restore: %v %q", err, out)
	}
	copyFile(t, filepath.Join(s.dataDir, "kek"), filepath.Join(restored, "kek"))
	r := startServerIn(t, restored, "--issuer", issuer)
	if in := introspect(t, r.public, opaque, opaqueTok); in["active"] != true || in["client_id"] != opaque.ClientID {
		t.Errorf("opaque token issued before the backup, on the restored server: %v", in)
	}
	var set jose.JSONWebKeySet // from the listener: the issuer's host is not resolvable here
	getJSON(t, r.public+"/.well-known/jwks.json", &set)
	claims := verifyAccessToken(t, jwtTok, set, jose.ES256)
	if claims.ClientID != jwtClient.ClientID {
		t.Errorf("JWT claims after restore: %+v", claims)
	}
	if in := introspect(t, r.public, jwtClient, jwtTok); in["active"] != true {
		t.Errorf("JWT issued before the backup, on the restored server: %v", in)
	}
	if issueToken(t, r.public, jwtClient) == "" {
		t.Error("a client of the backup cannot get a token from the restored server")
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	// Without its KEK the copy is unusable: serve refuses to start.
	nokek := t.TempDir()
	copyFile(t, backup, filepath.Join(nokek, "jeton.db"))
	if _, err := startApp(t.Context(), testServeConfig(t, nokek), discardLogger(t)); err == nil || !strings.Contains(err.Error(), "wrong key-encryption key") {
		t.Fatalf("restored without the KEK: %v", err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBackupRefusesPostgreSQL: on PostgreSQL both commands say to use pg_dump.
func TestBackupRefusesPostgreSQL(t *testing.T) {
	for _, cmd := range []*cobra.Command{newBackupCmd(), newRestoreCmd()} {
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"--database", "postgres://jeton@db.internal/jeton", filepath.Join(t.TempDir(), "x.db")})
		err := cmd.ExecuteContext(t.Context())
		if err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("%s on PostgreSQL: %v", cmd.Name(), err)
		}
	}
}

package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/jeton/jeton"
)

// TestConsoleUserCreate: the CLI creates console users straight in the database,
// prints the TOTP secret, its URI and recovery codes once, and refuses bad input
// without writing anything.
func TestConsoleUserCreate(t *testing.T) {
	s := startServer(t)
	base := []string{"console-user", "create", "--data-dir", s.dataDir}
	out, errOut, err := runCLI(t, "a long enough password\n", append(base, "--role", "operator", "--username", "olga", "-o", "json")...)
	if err != nil {
		t.Fatalf("create: %v\n%s", err, errOut)
	}
	m := decodeOne(t, out)
	secret, _ := m["totp_secret"].(string)
	uri, _ := m["otpauth_uri"].(string)
	if m["role"] != "operator" || len(m["recovery_codes"].([]any)) != 10 || !strings.Contains(uri, "secret="+secret) || !strings.HasPrefix(uri, "otpauth://totp/jeton:olga?") {
		t.Fatalf("create printed %v", m)
	}
	if _, err := totp.GenerateCode(secret, time.Now()); err != nil {
		t.Fatalf("TOTP secret %q: %v", secret, err)
	}
	u, err := s.app.store.GetConsoleUserByUsername(t.Context(), "olga")
	if err != nil || u.PasswordHash == "" || strings.Contains(string(u.TOTPSealed), secret) {
		t.Fatalf("stored user %+v, %v (the TOTP secret must be sealed)", u, err)
	}
	// A locked-out user is unlocked from the command line.
	for range 5 {
		if _, _, err := s.app.store.ReserveConsoleSignIn(t.Context(), "olga", time.Now(), s.app.consoleLockout()); err != nil {
			t.Fatal(err)
		}
	}
	if u, _ := s.app.store.GetConsoleUserByUsername(t.Context(), "olga"); u.LockedUntil.IsZero() {
		t.Fatal("not locked after 5 attempts")
	}
	if out, errOut, err := runCLI(t, "", "console-user", "unlock", "olga", "--data-dir", s.dataDir); err != nil || !strings.Contains(out, "unlocked") {
		t.Fatalf("unlock: %v %s", err, errOut)
	}
	if u, _ := s.app.store.GetConsoleUserByUsername(t.Context(), "olga"); !u.LockedUntil.IsZero() || u.FailedAttempts != 0 {
		t.Fatalf("after unlock: %+v", u)
	}
	if _, _, err := runCLI(t, "", "console-user", "unlock", "nobody", "--data-dir", s.dataDir); err == nil {
		t.Error("unlocked an unknown user")
	}
	consoleUserDisable(t, s)
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"a long enough password\n", []string{"--role", "operator", "--username", "olga"}, "taken"},
		{"", []string{"--role", "operator", "--username", "nopw"}, "no password on stdin"},
		{"short\n", []string{"--role", "operator", "--username", "shorty"}, "password must be at least"},
		{"a long enough password\n", []string{"--role", "operator", "--username", "op2", "--institution", "x"}, "omit --institution"},
		{"a long enough password\n", []string{"--role", "institution-admin", "--username", "adm"}, "needs --institution"},
		{"a long enough password\n", []string{"--role", "institution-admin", "--username", "adm", "--institution", "nope"}, "not found"},
		{"a long enough password\n", []string{"--role", "root", "--username", "r"}, "role must be"},
	} {
		_, _, err := runCLI(t, c.stdin, append(base, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error containing %q", c.args, err, c.want)
		}
	}
}

// consoleUserDisable: `console-user list` shows the user, `disable` ends its sessions
// and shows in the list, `enable` undoes it; both are audited with actor cli.
func consoleUserDisable(t *testing.T, s *liveServer) {
	t.Helper()
	ctx := t.Context()
	u, _ := s.app.store.GetConsoleUserByUsername(ctx, "olga")
	digest := make([]byte, 32)
	if err := s.app.store.CreateConsoleSession(ctx, jeton.ConsoleSession{Digest: digest, UserID: u.ID, CSRF: "x",
		CreatedAt: time.Now(), LastSeen: time.Now()}); err != nil {
		t.Fatal(err)
	}
	list := func() []map[string]any {
		t.Helper()
		out, errOut, err := runCLI(t, "", "console-user", "list", "--data-dir", s.dataDir, "-o", "json")
		if err != nil {
			t.Fatalf("list: %v %s", err, errOut)
		}
		var v struct{ Items []map[string]any }
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("list output %q: %v", out, err)
		}
		return v.Items
	}
	items := list()
	if len(items) != 1 || items[0]["username"] != "olga" || items[0]["disabled"] != false || items[0]["password_hash"] != nil {
		t.Fatalf("list: %v", items)
	}
	if out, errOut, err := runCLI(t, "", "console-user", "disable", "--username", "olga", "--data-dir", s.dataDir); err != nil || !strings.Contains(out, "disabled") {
		t.Fatalf("disable: %v %s", err, errOut)
	}
	if _, err := s.app.store.TouchConsoleSession(ctx, digest, time.Now(), time.Now().Add(-time.Hour)); !errors.Is(err, jeton.ErrNotFound) {
		t.Fatalf("session after disable: %v", err)
	}
	if items := list(); items[0]["disabled"] != true || items[0]["disabled_at"] == nil {
		t.Fatalf("list after disable: %v", items)
	}
	out, _, err := runCLI(t, "", "console-user", "list", "--data-dir", s.dataDir)
	if err != nil || !strings.Contains(out, "olga") || !strings.Contains(out, "disabled") {
		t.Fatalf("table list: %v %q", err, out)
	}
	if _, _, err := runCLI(t, "", "console-user", "enable", "--username", "olga", "--data-dir", s.dataDir); err != nil {
		t.Fatalf("enable: %v", err)
	}
	if items := list(); items[0]["disabled"] != false {
		t.Fatalf("list after enable: %v", items)
	}
	if _, _, err := runCLI(t, "", "console-user", "disable", "--username", "nobody", "--data-dir", s.dataDir); err == nil || !strings.Contains(err.Error(), "no console user") {
		t.Errorf("disable unknown user: %v", err)
	}
	if _, _, err := runCLI(t, "", "console-user", "disable", "--data-dir", s.dataDir); err == nil {
		t.Error("disable without --username")
	}
	for _, action := range []string{jeton.ActionConsoleUserDisable, jeton.ActionConsoleUserEnable} {
		p, err := s.app.store.ListAudit(ctx, jeton.AuditFilter{Action: action})
		if err != nil || len(p.Events) != 1 || p.Events[0].Actor != "cli" || p.Events[0].Subject != u.ID {
			t.Errorf("%s audit: %+v %v", action, p.Events, err)
		}
	}
}

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
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

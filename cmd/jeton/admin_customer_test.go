package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/password"
)

// TestCLICustomerCreateAndUnlock: `customer create` takes the password from stdin
// (never a flag) and `-o json` gives the id; `customer unlock` clears a lockout the
// store recorded, in both output forms.
func TestCLICustomerCreateAndUnlock(t *testing.T) {
	ctx := context.Background()
	st, url := adminServerStore(t)
	conn := []string{"--server", url, "--token", "cli-token", "--data-dir", t.TempDir()}
	run := func(stdin string, args ...string) (string, error) {
		out, _, err := runCLI(t, stdin, append(args, conn...)...)
		return out, err
	}
	out, err := run("", "institution", "create", "--name", "Bank", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	instID, _ := decodeOne(t, out)["id"].(string)

	out, err = run("piped password\n", "customer", "create", "--institution", instID, "--username", "alice", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "piped password") {
		t.Fatalf("output shows the password: %s", out)
	}
	cuID, _ := decodeOne(t, out)["id"].(string)
	stored, err := st.GetCustomer(ctx, instID, cuID)
	if err != nil {
		t.Fatalf("created customer %q: %v", cuID, err)
	}
	if ok, err := password.Verify("piped password", stored.PasswordHash); !ok || err != nil {
		t.Fatalf("the stored password is not the one piped in: %v, %v", ok, err)
	}

	// Lock her as the password grant would.
	policy := jeton.LockoutPolicy{MaxFailures: 1, Window: time.Hour, Cooldown: time.Hour}
	lock := func() {
		t.Helper()
		r, admitted, err := st.ReserveLoginAttempt(ctx, instID, cuID, time.Now(), policy)
		if err != nil || !admitted {
			t.Fatalf("reserve: %v, %v", admitted, err)
		}
		if locked, err := st.FailLoginAttempt(ctx, r, time.Now(), policy); err != nil || !locked {
			t.Fatalf("lock: %v, %v", locked, err)
		}
	}
	lock()
	out, err = run("", "customer", "unlock", "--institution", instID, cuID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, cuID) || !strings.Contains(out, "locked_until") {
		t.Fatalf("table output:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "locked_until" && f[1] != "-" {
			t.Fatalf("still shown locked:\n%s", out)
		}
	}
	if c, _ := st.GetCustomer(ctx, instID, cuID); !c.LockedUntil.IsZero() || c.FailedAttempts != 0 {
		t.Fatalf("stored after unlock: %+v", c)
	}

	lock()
	out, err = run("", "customer", "unlock", "--institution", instID, cuID, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	got := decodeOne(t, out)
	if _, shown := got["locked_until"]; shown || got["id"] != cuID || got["failed_attempts"] != float64(0) {
		t.Fatalf("json output %v", got)
	}

	_, err = run("", "customer", "unlock", "--institution", instID, "no-such-customer")
	var ae *adminapi.APIError
	if !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("unknown customer: %v", err)
	}
	if _, err = run("", "customer", "unlock", cuID); err == nil || !strings.Contains(err.Error(), "institution") {
		t.Fatalf("without --institution: %v", err)
	}
}

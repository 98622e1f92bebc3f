package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/sqlite"
)

// migratedStore is a fresh, migrated SQLite database at a temp path.
func migratedStore(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jeton.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, path
}

func TestJanitorOnce(t *testing.T) {
	ctx := context.Background()
	s, path := migratedStore(t)
	now := time.Now()
	for i, exp := range []time.Time{now.Add(-time.Hour), now.Add(-time.Minute), now.Add(time.Hour)} {
		r := jeton.Revocation{Kind: jeton.RevokeJTI, ID: jeton.NewID(), InstitutionID: "bank", RevokedAt: now.Add(-2 * time.Hour), ExpiresAt: exp}
		if err := s.Revoke(ctx, r); err != nil {
			t.Fatalf("revocation %d: %v", i, err)
		}
	}
	s.Close()

	run := func() string {
		t.Helper()
		var out bytes.Buffer
		cmd := newJanitorCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"--once", "--database", path, "--janitor-batch", "1"})
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got := run(); got != "removed 2 expired rows\n" {
		t.Fatalf("first pass printed %q", got)
	}
	if got := run(); got != "removed 0 expired rows\n" {
		t.Fatalf("second pass printed %q", got)
	}
}

// `jeton janitor --once` deletes audit events past --audit-retention (a year unless
// told), and none with --audit-retention 0.
func TestJanitorOnceAuditRetention(t *testing.T) {
	ctx := context.Background()
	s, path := migratedStore(t)
	now := time.Now()
	for i, age := range []time.Duration{2 * 365 * 24 * time.Hour, 200 * 24 * time.Hour, time.Minute} {
		ev := jeton.AuditEvent{ID: jeton.NewID(), At: now.Add(-age), Actor: "admin", Action: jeton.ActionInstitutionCreate}
		if err := s.AppendAudit(ctx, ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	s.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "removed 1 expired rows\n"}, // the default year: the two-year-old event
		{[]string{"--audit-retention", "0"}, "removed 0 expired rows\n"},
		{[]string{"--audit-retention", "2400h"}, "removed 1 expired rows\n"}, // 100 days
	} {
		var out bytes.Buffer
		cmd := newJanitorCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"--once", "--database", path}, tc.args...))
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.want {
			t.Errorf("janitor %v printed %q, want %q", tc.args, out.String(), tc.want)
		}
	}
}

// --janitor-pause waits between batches (three rows one at a time: at least two
// pauses) and refuses a negative duration.
func TestJanitorOncePause(t *testing.T) {
	ctx := context.Background()
	s, path := migratedStore(t)
	now := time.Now()
	for i := range 3 {
		r := jeton.Revocation{Kind: jeton.RevokeJTI, ID: jeton.NewID(), InstitutionID: "bank", RevokedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Minute)}
		if err := s.Revoke(ctx, r); err != nil {
			t.Fatalf("revocation %d: %v", i, err)
		}
	}
	s.Close()
	run := func(pause string) (string, error) {
		var out bytes.Buffer
		cmd := newJanitorCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"--once", "--database", path, "--janitor-batch", "1", "--janitor-pause", pause})
		err := cmd.ExecuteContext(ctx)
		return out.String(), err
	}
	if _, err := run("-1s"); err == nil {
		t.Fatal("a negative --janitor-pause was accepted")
	}
	start := time.Now()
	got, err := run("200ms")
	if err != nil || got != "removed 3 expired rows\n" {
		t.Fatalf("printed %q, %v", got, err)
	}
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Fatalf("three batches with --janitor-pause 200ms took %v", el)
	}
}

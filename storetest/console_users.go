package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// consoleUserTests pin the console users page's store calls: paging by username,
// the last sign-in, and disable/enable, which ends the user's sessions in the same
// transaction as its audit event.
var consoleUserTests = []subtest{
	{"Console/ListUsers", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		for i, name := range []string{"dora", "alice", "carol", "bob", "erin"} {
			inst := ""
			if i%2 == 1 {
				inst = "inst-a"
			}
			ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser(fmt.Sprintf("u-%d", i), name, inst), nil))
		}
		var names []string
		after := ""
		for range 10 {
			page, err := s.ListConsoleUsers(ctx, after, 2)
			ok(t, "list", err)
			if len(page) > 2 {
				t.Fatalf("page of %d users, asked for 2", len(page))
			}
			if len(page) == 0 {
				break
			}
			for _, u := range page {
				names = append(names, u.Username)
			}
			after = page[len(page)-1].Username
		}
		same(t, "usernames", names, []string{"alice", "bob", "carol", "dora", "erin"})
		page, err := s.ListConsoleUsers(ctx, "", 10)
		ok(t, "list all", err)
		if page[0].Role != jeton.ConsoleInstitutionAdmin || page[0].InstitutionID != "inst-a" || page[0].PasswordHash == "" {
			t.Fatalf("listed user not read in full: %+v", page[0])
		}
		// The last sign-in is recorded by the pass that clears the run.
		ok(t, "pass", s.PassConsoleSignIn(ctx, "u-1", at(time.Hour)))
		u, err := s.GetConsoleUser(ctx, "u-1")
		ok(t, "get", err)
		if !u.LastSignInAt.Equal(at(time.Hour)) {
			t.Fatalf("LastSignInAt = %v, want %v", u.LastSignInAt, at(time.Hour))
		}
		is(t, "pass unknown", s.PassConsoleSignIn(ctx, "nobody", at(0)), jeton.ErrNotFound)
	}},
	{"Console/DisableEnable", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), nil))
		ok(t, "create other", s.CreateConsoleUser(ctx, newConsoleUser("u-2", "bob", ""), nil))
		mine := consoleSessions(t, s, "u-1", 3)
		theirs := consoleSessions(t, s, "u-2", 1)
		ev := auditEvent("ev-disable", 1, "", jeton.ActionConsoleUserDisable)
		ok(t, "disable", s.SetConsoleUserDisabled(ctx, "u-1", true, at(time.Minute), ev))
		u, err := s.GetConsoleUser(ctx, "u-1")
		ok(t, "get", err)
		if !u.DisabledAt.Equal(at(time.Minute)) || !u.Disabled() {
			t.Fatalf("after disable: DisabledAt %v", u.DisabledAt)
		}
		for _, d := range mine {
			_, err := s.TouchConsoleSession(ctx, d, at(2*time.Minute), at(-time.Hour))
			is(t, "disabled user's session", err, jeton.ErrNotFound)
		}
		_, err = s.TouchConsoleSession(ctx, theirs[0], at(2*time.Minute), at(-time.Hour))
		ok(t, "another user's session", err)
		if p := list(t, s, jeton.AuditFilter{Action: jeton.ActionConsoleUserDisable}); len(p.Events) != 1 || p.Events[0].ID != "ev-disable" {
			t.Fatalf("audit after disable: %+v", p.Events)
		}
		// Disabling again keeps the first time.
		ok(t, "disable again", s.SetConsoleUserDisabled(ctx, "u-1", true, at(time.Hour), auditEvent("ev-again", 2, "", jeton.ActionConsoleUserDisable)))
		u, _ = s.GetConsoleUser(ctx, "u-1")
		if !u.DisabledAt.Equal(at(time.Minute)) {
			t.Fatalf("disable again moved DisabledAt to %v", u.DisabledAt)
		}
		ok(t, "enable", s.SetConsoleUserDisabled(ctx, "u-1", false, at(2*time.Hour), auditEvent("ev-enable", 3, "", jeton.ActionConsoleUserEnable)))
		u, _ = s.GetConsoleUser(ctx, "u-1")
		if u.Disabled() {
			t.Fatalf("after enable: DisabledAt %v", u.DisabledAt)
		}
		// An unknown user: ErrNotFound, and its event is not appended.
		is(t, "unknown user", s.SetConsoleUserDisabled(ctx, "nobody", true, at(0), auditEvent("ev-nobody", 4, "", jeton.ActionConsoleUserDisable)), jeton.ErrNotFound)
		if p := list(t, s, jeton.AuditFilter{Action: jeton.ActionConsoleUserDisable}); len(p.Events) != 2 {
			t.Fatalf("a refused disable was audited: %+v", p.Events)
		}
	}},
	{"Race/ConsoleDisableEndsSessions", raceConsoleDisable},
}

// consoleSessions creates n sessions of the user and returns their digests.
func consoleSessions(t *testing.T, s jeton.Store, userID string, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for i := range n {
		d := recoveryDigest(fmt.Sprintf("cookie-%s-%d", userID, i))
		ok(t, "create session", s.CreateConsoleSession(t.Context(), jeton.ConsoleSession{Digest: d, UserID: userID,
			CSRF: "csrf", CreatedAt: at(0), LastSeen: at(0)}))
		out = append(out, d)
	}
	return out
}

// raceConsoleDisable: sessions being used while racing disables end all the same;
// every disable is audited once and the user keeps the first disable's time.
func raceConsoleDisable(t *testing.T, s jeton.Store) {
	ctx := t.Context()
	ok(t, "create", s.CreateConsoleUser(ctx, newConsoleUser("u-1", "alice", ""), nil))
	sessions := consoleSessions(t, s, "u-1", racers/2)
	errs := race(func(i int) error {
		if i%2 == 0 {
			ev := auditEvent(fmt.Sprintf("ev-%d", i), 1, "", jeton.ActionConsoleUserDisable)
			return s.SetConsoleUserDisabled(ctx, "u-1", true, at(time.Duration(i+1)*time.Second), ev)
		}
		_, err := s.TouchConsoleSession(ctx, sessions[i/2], at(time.Minute), at(-time.Hour))
		if errors.Is(err, jeton.ErrNotFound) {
			return nil // already ended by a disable
		}
		return err
	})
	noErrors(t, errs)
	for _, d := range sessions {
		_, err := s.TouchConsoleSession(ctx, d, at(time.Hour), at(-time.Hour))
		is(t, "session after the race", err, jeton.ErrNotFound)
	}
	u, err := s.GetConsoleUser(ctx, "u-1")
	ok(t, "get", err)
	if !u.Disabled() || u.DisabledAt.After(at(racers*time.Second)) {
		t.Fatalf("after the race: DisabledAt %v", u.DisabledAt)
	}
	if n := len(list(t, s, jeton.AuditFilter{Action: jeton.ActionConsoleUserDisable, Limit: 1000}).Events); n != racers/2 {
		t.Fatalf("%d disable events, want %d", n, racers/2)
	}
}

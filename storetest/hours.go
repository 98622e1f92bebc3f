package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func newCalendar(t *testing.T, inst, tz string, windows []string, closed ...string) *jeton.Calendar {
	t.Helper()
	var ws []jeton.Window
	for _, s := range windows {
		w, err := jeton.ParseWindows(s)
		ok(t, "parse window", err)
		ws = append(ws, w...)
	}
	var ds []jeton.Date
	for _, s := range closed {
		d, err := jeton.ParseDate(s)
		ok(t, "parse date", err)
		ds = append(ds, d)
	}
	c, err := jeton.NewCalendar(inst, tz, ws, ds)
	ok(t, "new calendar", err)
	c.UpdatedAt = at(time.Minute)
	return c
}

var calendarTests = []subtest{
	{"Calendar/PutGetReplaceDelete", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		_, err := s.GetCalendar(ctx, "inst-a")
		is(t, "no calendar yet", err, jeton.ErrNotFound)
		c := newCalendar(t, "inst-a", "Europe/London", []string{"Mon-Fri 07:00-19:00", "Sat 22:00-02:00"}, "2026-12-25", "2027-01-01")
		ok(t, "put", s.PutCalendar(ctx, c))
		got, err := s.GetCalendar(ctx, "inst-a")
		ok(t, "get", err)
		if got.TimeZone != c.TimeZone || fmt.Sprint(got.Windows) != fmt.Sprint(c.Windows) ||
			fmt.Sprint(got.Closed) != fmt.Sprint(c.Closed) || !got.UpdatedAt.Equal(c.UpdatedAt) {
			t.Errorf("got %+v, want %+v", got, c)
		}
		at := time.Date(2026, 12, 25, 10, 0, 0, 0, time.UTC)
		if got.Open(at) || got.NextOpening(at).IsZero() {
			t.Error("the stored calendar is not compiled: a closed date opens")
		}
		next := newCalendar(t, "inst-a", "Asia/Tokyo", []string{"Sun 00:00-24:00"})
		ok(t, "replace", s.PutCalendar(ctx, next))
		got, err = s.GetCalendar(ctx, "inst-a")
		ok(t, "get replaced", err)
		if got.TimeZone != "Asia/Tokyo" || len(got.Windows) != 1 || len(got.Closed) != 0 {
			t.Errorf("replaced calendar %+v", got)
		}
		ok(t, "delete", s.DeleteCalendar(ctx, "inst-a"))
		_, err = s.GetCalendar(ctx, "inst-a")
		is(t, "deleted", err, jeton.ErrNotFound)
		is(t, "delete twice", s.DeleteCalendar(ctx, "inst-a"), jeton.ErrNotFound)
	}},
	{"Calendar/UnknownInstitution", func(t *testing.T, s jeton.Store) {
		c := newCalendar(t, "no-such-inst", "UTC", []string{"Mon 09:00-17:00"})
		is(t, "put for a missing institution", s.PutCalendar(t.Context(), c), jeton.ErrNotFound)
	}},
}

func slot(client, jti, family string, exp time.Duration) jeton.TokenSlot {
	return jeton.TokenSlot{ClientID: client, JTI: jti, FamilyID: family, ExpiresAt: at(exp)}
}

var tokenSlotTests = []subtest{
	{"TokenSlots/CapExpiryRevocation", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "create client-b", s.CreateClient(ctx, newClient("client-b", "inst-a")))
		ok(t, "slot 1", s.ClaimTokenSlot(ctx, slot("client-a", "j1", "", time.Minute), 2, at(0)))
		ok(t, "slot 2", s.ClaimTokenSlot(ctx, slot("client-a", "j2", "fam-1", time.Hour), 2, at(0)))
		is(t, "third over the cap", s.ClaimTokenSlot(ctx, slot("client-a", "j3", "", time.Hour), 2, at(0)), jeton.ErrLimitReached)
		ok(t, "another client has its own count", s.ClaimTokenSlot(ctx, slot("client-b", "j3", "", time.Hour), 2, at(0)))
		// j1 expires at +1m: at that instant it no longer counts.
		ok(t, "slot freed by expiry", s.ClaimTokenSlot(ctx, slot("client-a", "j3", "", time.Hour), 2, at(time.Minute)))
		is(t, "full again", s.ClaimTokenSlot(ctx, slot("client-a", "j4", "", time.Hour), 2, at(time.Minute)), jeton.ErrLimitReached)
		ok(t, "revoke j3", s.Revoke(ctx, jeton.Revocation{Kind: jeton.RevokeJTI, ID: "j3", InstitutionID: "inst-a", RevokedAt: at(0), ExpiresAt: at(time.Hour)}))
		ok(t, "slot freed by revoking the jti", s.ClaimTokenSlot(ctx, slot("client-a", "j4", "", time.Hour), 2, at(time.Minute)))
		ok(t, "revoke fam-1", s.Revoke(ctx, jeton.Revocation{Kind: jeton.RevokeFamily, ID: "fam-1", InstitutionID: "inst-a", RevokedAt: at(0), ExpiresAt: at(time.Hour)}))
		ok(t, "slot freed by revoking the family", s.ClaimTokenSlot(ctx, slot("client-a", "j5", "", time.Hour), 2, at(time.Minute)))
		is(t, "full at last", s.ClaimTokenSlot(ctx, slot("client-a", "j6", "", time.Hour), 2, at(time.Minute)), jeton.ErrLimitReached)
		is(t, "unknown client", s.ClaimTokenSlot(ctx, slot("nobody", "j1", "", time.Hour), 2, at(0)), jeton.ErrNotFound)
	}},
	{"TokenSlots/JanitorDeletesExpired", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "expired slot", s.ClaimTokenSlot(ctx, slot("client-a", "j1", "", time.Minute), 5, at(0)))
		ok(t, "live slot", s.ClaimTokenSlot(ctx, slot("client-a", "j2", "", time.Hour), 5, at(0)))
		n, err := s.DeleteExpired(ctx, at(time.Minute), 100)
		ok(t, "delete expired", err)
		if n != 1 {
			t.Errorf("deleted %d rows, want 1 (the expired slot)", n)
		}
		// j1's row is gone, so the same jti can be claimed again; j2 is still there.
		ok(t, "reclaim j1", s.ClaimTokenSlot(ctx, slot("client-a", "j1", "", time.Hour), 5, at(time.Minute)))
		is(t, "j2 kept", s.ClaimTokenSlot(ctx, slot("client-a", "j2", "", time.Hour), 5, at(time.Minute)), jeton.ErrConflict)
	}},
	{"Race/ClaimTokenSlot", func(t *testing.T, s jeton.Store) {
		// Issue 7: a cap of 3 with 20 parallel requests issues exactly 3. Several
		// rounds (one client each) make a lost race likely to show.
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		for round := range 10 {
			client := fmt.Sprintf("client-%d", round)
			ok(t, "create client", s.CreateClient(ctx, newClient(client, "inst-a")))
			if won := claimRace(t, s, client, 20, 3); won != 3 {
				t.Errorf("round %d: %d of 20 parallel claims won with a cap of 3", round, won)
			}
		}
	}},
}

// claimRace has parallel goroutines, released together, claim a slot of client with
// cap limit; it returns how many won.
func claimRace(t *testing.T, s jeton.Store, client string, parallel, limit int) int {
	t.Helper()
	errs := make(chan error, parallel)
	start := make(chan struct{})
	for i := range parallel {
		go func() {
			<-start
			errs <- s.ClaimTokenSlot(t.Context(), slot(client, fmt.Sprintf("jti-%d", i), "", time.Hour), limit, at(0))
		}()
	}
	close(start)
	won := 0
	for range parallel {
		switch err := <-errs; {
		case err == nil:
			won++
		case !errors.Is(err, jeton.ErrLimitReached):
			t.Errorf("claim: %v, want nil or ErrLimitReached", err)
		}
	}
	return won
}

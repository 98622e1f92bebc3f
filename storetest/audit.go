package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func auditEvent(id string, minute int, inst, action string) jeton.AuditEvent {
	return jeton.AuditEvent{
		ID: id, At: at(time.Duration(minute) * time.Minute), InstitutionID: inst,
		Actor: "admin", Action: action, Subject: "subject-" + id,
		Details: map[string]string{"ip": "192.0.2.1", "reason": "test " + id},
	}
}

// list returns the events f selects on one page, failing the test on an error.
func list(t *testing.T, s jeton.AuditStore, f jeton.AuditFilter) jeton.AuditPage {
	t.Helper()
	p, err := s.ListAudit(t.Context(), f)
	ok(t, "list audit", err)
	return p
}

// walk lists every event f selects, pageSize at a time, following Next; between
// pages it calls between (if not nil). It fails the test on a page larger than asked
// or a walk that does not end.
func walk(t *testing.T, s jeton.Store, f jeton.AuditFilter, pageSize int, between func()) []jeton.AuditEvent {
	t.Helper()
	f.Limit = pageSize
	var all []jeton.AuditEvent
	for range 10000 {
		p := list(t, s, f)
		if len(p.Events) > pageSize {
			t.Fatalf("page of %d events, asked for %d", len(p.Events), pageSize)
		}
		all = append(all, p.Events...)
		if p.Next.IsZero() {
			return all
		}
		f.After = p.Next
		if between != nil {
			between()
		}
	}
	t.Fatal("the walk did not end")
	return nil
}

func ids(evs []jeton.AuditEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

var auditTests = []subtest{
	{"Audit/NewestFirstAndFilters", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		e1 := auditEvent("e1", 1, "inst-a", "client.create")
		e2 := auditEvent("e2", 2, "inst-b", "client.create")
		e3 := auditEvent("e3", 3, "inst-a", "key.rotate")
		e4 := auditEvent("e4", 4, "", "key.rotate")
		e4.Subject, e4.Details = "", nil
		e5 := auditEvent("e5", 5, "inst-a", "customer.consents.revoke")
		e5.Actor, e5.Subject, e5.Details = "client-x", "cust-1", map[string]string{"client_id": "client-c"}
		e1.Subject = "client-c"
		for _, e := range []jeton.AuditEvent{e3, e1, e5, e4, e2} { // appended out of order
			ok(t, "append "+e.ID, s.AppendAudit(ctx, e))
		}
		e4.Details = map[string]string{}
		is(t, "duplicate id", s.AppendAudit(ctx, e1), jeton.ErrConflict)

		for _, tc := range []struct {
			name string
			f    jeton.AuditFilter
			want []jeton.AuditEvent
		}{
			{"all", jeton.AuditFilter{}, []jeton.AuditEvent{e5, e4, e3, e2, e1}},
			{"institution", jeton.AuditFilter{InstitutionID: "inst-a"}, []jeton.AuditEvent{e5, e3, e1}},
			{"action", jeton.AuditFilter{Action: "client.create"}, []jeton.AuditEvent{e2, e1}},
			{"both", jeton.AuditFilter{InstitutionID: "inst-a", Action: "key.rotate"}, []jeton.AuditEvent{e3}},
			{"actor", jeton.AuditFilter{Actor: "client-x"}, []jeton.AuditEvent{e5}},
			{"client as subject or in details", jeton.AuditFilter{ClientID: "client-c"}, []jeton.AuditEvent{e5, e1}},
			{"client and action", jeton.AuditFilter{ClientID: "client-c", Action: "client.create"}, []jeton.AuditEvent{e1}},
			{"since (inclusive)", jeton.AuditFilter{Since: e3.At}, []jeton.AuditEvent{e5, e4, e3}},
			{"until (exclusive)", jeton.AuditFilter{Until: e3.At}, []jeton.AuditEvent{e2, e1}},
			{"since and until", jeton.AuditFilter{Since: e2.At, Until: e5.At}, []jeton.AuditEvent{e4, e3, e2}},
			{"limit", jeton.AuditFilter{Limit: 2}, []jeton.AuditEvent{e5, e4}},
			{"none", jeton.AuditFilter{InstitutionID: "inst-none"}, []jeton.AuditEvent{}},
		} {
			got := list(t, s, tc.f)
			same(t, "audit "+tc.name, got.Events, tc.want)
		}
	}},
	{"Audit/TiesLastAppendedFirst", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		var want []jeton.AuditEvent
		for _, id := range []string{"b", "c", "a"} { // ids out of order: ties are not by id
			e := auditEvent(id, 1, "inst-a", "login")
			ok(t, "append "+id, s.AppendAudit(ctx, e))
			want = append([]jeton.AuditEvent{e}, want...)
		}
		same(t, "events with equal At", list(t, s, jeton.AuditFilter{}).Events, want)
	}},
	{"Audit/DefaultLimit100", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		for i := range 105 {
			ok(t, "append", s.AppendAudit(ctx, auditEvent(fmt.Sprintf("e%03d", i), i, "inst-a", "login")))
		}
		got := list(t, s, jeton.AuditFilter{}).Events
		if len(got) != 100 {
			t.Fatalf("got %d events, want the default limit 100", len(got))
		}
		if got[0].ID != "e104" || got[99].ID != "e005" {
			t.Errorf("got events %s..%s, want e104..e005", got[0].ID, got[99].ID)
		}
	}},
	{"Audit/PagesWalkEverything", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		// 60 events in 20 distinct instants: pages end inside runs of equal At, where
		// only the append order tells the events apart.
		for i := range 60 {
			inst := "inst-a"
			if i%4 == 0 {
				inst = "inst-b"
			}
			ok(t, "append", s.AppendAudit(ctx, auditEvent(fmt.Sprintf("e%02d", i), i/3, inst, "login")))
		}
		for _, f := range []jeton.AuditFilter{{}, {InstitutionID: "inst-a"}, {Since: at(5 * time.Minute), Until: at(15 * time.Minute)}} {
			f.Limit = 1000
			want := list(t, s, f)
			if !want.Next.IsZero() {
				t.Fatal("a page holding every event has a next position")
			}
			for _, size := range []int{1, 2, 7, len(want.Events), len(want.Events) + 1} {
				same(t, fmt.Sprintf("walk %+v by %d", f, size), ids(walk(t, s, f, size, nil)), ids(want.Events))
			}
		}
	}},
	{"Audit/PagesStableUnderAppends", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		for i := range 30 {
			ok(t, "append", s.AppendAudit(ctx, auditEvent(fmt.Sprintf("old%02d", i), i/2, "inst-a", "login")))
		}
		want := ids(list(t, s, jeton.AuditFilter{Limit: 1000}).Events)
		// Between pages, writers append newer events (and some at the newest instant
		// already seen): the walk still returns exactly the events it started with.
		n := 0
		appendMore := func() {
			var wg sync.WaitGroup
			for range 4 {
				n++
				ev := auditEvent(fmt.Sprintf("new%03d", n), 14+n%3, "inst-a", "login")
				wg.Go(func() { ok(t, "append "+ev.ID, s.AppendAudit(ctx, ev)) })
			}
			wg.Wait()
		}
		// Every new event sorts before the walk's position (newer, or equal At and
		// appended later), so the walk lists exactly the events it started with.
		same(t, "walk under appends", ids(walk(t, s, jeton.AuditFilter{}, 4, appendMore)), want)
		if n == 0 {
			t.Fatal("nothing was appended during the walk")
		}
	}},
	{"Audit/DeleteBeforeOldestFirstInBatches", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		for i := range 7 {
			ok(t, "append", s.AppendAudit(ctx, auditEvent(fmt.Sprintf("e%d", i), i, "inst-a", "login")))
		}
		var batches []int
		for {
			n, err := s.DeleteAuditBefore(ctx, at(5*time.Minute), 2)
			ok(t, "delete audit", err)
			if n == 0 {
				break
			}
			batches = append(batches, n)
		}
		same(t, "batches", batches, []int{2, 2, 1})
		same(t, "kept (At >= before)", ids(list(t, s, jeton.AuditFilter{}).Events), []string{"e6", "e5"})
	}},
}

// contextTests check that a store honours its context: a cancelled call fails with
// an error that wraps context.Canceled instead of doing the work.
var contextTests = []subtest{
	{"Context/Canceled", func(t *testing.T, s jeton.Store) {
		ok(t, "ping", s.Ping(t.Context()))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		is(t, "create", s.CreateInstitution(ctx, newInstitution("inst-a")), context.Canceled)
		_, err := s.GetInstitution(ctx, "inst-a")
		is(t, "get", err, context.Canceled)
		_, err = s.GetInstitution(t.Context(), "inst-a")
		is(t, "cancelled create left no row", err, jeton.ErrNotFound)
		is(t, "use assertion", s.UseAssertionID(ctx, "c", "j", at(time.Hour), at(0)), context.Canceled)
	}},
}

package storetest

import (
	"context"
	"fmt"
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

var auditTests = []subtest{
	{"Audit/NewestFirstAndFilters", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		e1 := auditEvent("e1", 1, "inst-a", "client.create")
		e2 := auditEvent("e2", 2, "inst-b", "client.create")
		e3 := auditEvent("e3", 3, "inst-a", "key.rotate")
		e4 := auditEvent("e4", 4, "", "key.rotate")
		e4.Subject, e4.Details = "", nil
		for _, e := range []jeton.AuditEvent{e3, e1, e4, e2} { // appended out of order
			ok(t, "append "+e.ID, s.AppendAudit(ctx, e))
		}
		e4.Details = map[string]string{}
		is(t, "duplicate id", s.AppendAudit(ctx, e1), jeton.ErrConflict)

		for _, tc := range []struct {
			name string
			f    jeton.AuditFilter
			want []jeton.AuditEvent
		}{
			{"all", jeton.AuditFilter{}, []jeton.AuditEvent{e4, e3, e2, e1}},
			{"institution", jeton.AuditFilter{InstitutionID: "inst-a"}, []jeton.AuditEvent{e3, e1}},
			{"action", jeton.AuditFilter{Action: "client.create"}, []jeton.AuditEvent{e2, e1}},
			{"both", jeton.AuditFilter{InstitutionID: "inst-a", Action: "key.rotate"}, []jeton.AuditEvent{e3}},
			{"limit", jeton.AuditFilter{Limit: 2}, []jeton.AuditEvent{e4, e3}},
			{"none", jeton.AuditFilter{InstitutionID: "inst-none"}, []jeton.AuditEvent{}},
		} {
			got, err := s.ListAudit(ctx, tc.f)
			ok(t, "list "+tc.name, err)
			same(t, "audit "+tc.name, got, tc.want)
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
		got, err := s.ListAudit(ctx, jeton.AuditFilter{})
		ok(t, "list", err)
		same(t, "events with equal At", got, want)
	}},
	{"Audit/DefaultLimit100", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		for i := range 105 {
			ok(t, "append", s.AppendAudit(ctx, auditEvent(fmt.Sprintf("e%03d", i), i, "inst-a", "login")))
		}
		got, err := s.ListAudit(ctx, jeton.AuditFilter{})
		ok(t, "list", err)
		if len(got) != 100 {
			t.Fatalf("got %d events, want the default limit 100", len(got))
		}
		if got[0].ID != "e104" || got[99].ID != "e005" {
			t.Errorf("got events %s..%s, want e104..e005", got[0].ID, got[99].ID)
		}
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

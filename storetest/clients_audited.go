package storetest

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// hasAudit reports whether the audit log holds the event id.
func hasAudit(t *testing.T, s jeton.AuditStore, id string) bool {
	t.Helper()
	for _, e := range list(t, s, jeton.AuditFilter{Limit: 1000}).Events {
		if e.ID == id {
			return true
		}
	}
	return false
}

// clientAuditedTests prove that a client change and its audit event commit together:
// neither is written when the other fails.
var clientAuditedTests = []subtest{
	{"ClientAudited/CreateWritesBoth", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		want := newClient("client-a", "inst-a")
		ev := auditEvent("ev-1", 0, "inst-a", "client.create")
		ok(t, "create", s.CreateClientAudited(ctx, want, ev))
		got, err := s.GetClient(ctx, "client-a")
		ok(t, "get", err)
		same(t, "client", got, want)
		same(t, "audit", list(t, s, jeton.AuditFilter{}).Events, []jeton.AuditEvent{ev})
	}},
	{"ClientAudited/FailedCreateWritesNeither", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "append", s.AppendAudit(ctx, auditEvent("ev-taken", 0, "inst-a", "other")))
		// The client insert fails: no audit row.
		err := s.CreateClientAudited(ctx, newClient("client-a", "inst-a"), auditEvent("ev-1", 1, "inst-a", "client.create"))
		is(t, "duplicate client", err, jeton.ErrConflict)
		if hasAudit(t, s, "ev-1") {
			t.Error("a failed create left its audit event")
		}
		// The audit insert fails: no client row.
		err = s.CreateClientAudited(ctx, newClient("client-b", "inst-a"), auditEvent("ev-taken", 1, "inst-a", "client.create"))
		is(t, "duplicate event", err, jeton.ErrConflict)
		_, err = s.GetClient(ctx, "client-b")
		is(t, "client after a failed audit insert", err, jeton.ErrNotFound)
	}},
	{"ClientAudited/UpdateWritesBothOrNeither", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		orig, err := s.GetClient(ctx, "client-a")
		ok(t, "get", err)
		upd := orig
		upd.Name, upd.UpdatedAt = "renamed", at(time.Hour)
		ok(t, "update", s.UpdateClientAudited(ctx, upd, auditEvent("ev-1", 0, "inst-a", "client.update")))
		got, err := s.GetClient(ctx, "client-a")
		ok(t, "get", err)
		same(t, "updated client", got, upd)
		if !hasAudit(t, s, "ev-1") {
			t.Error("the update's audit event is missing")
		}
		// The client update fails (no such client): no audit row.
		err = s.UpdateClientAudited(ctx, newClient("missing", "inst-a"), auditEvent("ev-2", 1, "inst-a", "client.update"))
		is(t, "update missing", err, jeton.ErrNotFound)
		if hasAudit(t, s, "ev-2") {
			t.Error("a failed update left its audit event")
		}
		// The audit insert fails: the client keeps its previous state.
		again := upd
		again.Name = "not kept"
		err = s.UpdateClientAudited(ctx, again, auditEvent("ev-1", 2, "inst-a", "client.update"))
		is(t, "duplicate event", err, jeton.ErrConflict)
		got, err = s.GetClient(ctx, "client-a")
		ok(t, "get", err)
		same(t, "client after a failed audit insert", got, upd)
	}},
}

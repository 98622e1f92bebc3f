package keys

import (
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// The keys jeton makes by itself and the rotations an admin asks for are audited
// through the store's ...Audited methods: a first key as key.create by jeton, a
// rotation with the event it was given, completed with the predecessor and the
// successor's metadata and never any key material.
func TestKeyChangesAreAudited(t *testing.T) {
	m, store, clk := newTestManager(t, "ES256", "EdDSA")
	if len(store.audit) != 2 {
		t.Fatalf("Load audited %d events, want one key.create per alg", len(store.audit))
	}
	var afters []string
	for _, ev := range store.audit {
		if ev.Action != jeton.ActionKeyCreate || ev.Actor != jeton.ActorSystem || ev.Details["before"] != "" ||
			!strings.Contains(ev.Details["after"], `"kid":"`+ev.Subject+`"`) {
			t.Errorf("first key event %+v", ev)
		}
		afters = append(afters, ev.Details["after"])
	}
	// A second start finds the keys: nothing new, nothing audited.
	m2 := NewManager(store, testKEK, Config{Now: clk.Now, Algs: []string{"ES256", "EdDSA"}})
	if err := m2.Load(t.Context()); err != nil || len(store.audit) != 2 {
		t.Fatalf("second Load: %v, %d events", err, len(store.audit))
	}

	cur, _ := m.snap.Load().current("ES256")
	prev := cur.meta
	clk.Advance(time.Hour)
	next, err := m.RotateAudited(t.Context(), "ES256", jeton.AuditEvent{ID: "ev-1", Actor: "admin", Action: jeton.ActionKeyRotate})
	if err != nil {
		t.Fatal(err)
	}
	ev := store.audit[len(store.audit)-1]
	if ev.ID != "ev-1" || ev.Subject != next.ID || ev.Details["alg"] != "ES256" ||
		!strings.Contains(ev.Details["before"], `"kid":"`+prev.ID+`"`) || !strings.Contains(ev.Details["after"], `"kid":"`+next.ID+`"`) {
		t.Fatalf("rotation event %+v", ev)
	}
	for _, s := range append(afters, ev.Details["before"], ev.Details["after"]) {
		if strings.Contains(s, "private") || strings.Contains(s, "sealed") || strings.Contains(s, "public_der") {
			t.Errorf("key material in the audit log: %s", s)
		}
	}
	// Rotate without an event writes none.
	if _, err := m.Rotate(t.Context(), "ES256"); err != nil || len(store.audit) != 3 {
		t.Fatalf("plain Rotate: %v, %d events", err, len(store.audit))
	}
}

package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// keyReplaceTests pin ReplaceSigningKey, the scheduled rotation's one store call: the
// successor, the predecessor's retirement and the audit event commit together, and
// only while the predecessor is the alg's current key.
var keyReplaceTests = []subtest{
	{"SigningKey/ReplaceOnlyTheCurrent", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		es1 := newSigningKey("es-1", "ES256", at(0))
		rs1 := newSigningKey("rs-1", "RS256", at(0))
		ok(t, "add es-1", s.AddSigningKey(ctx, es1, at(999*time.Hour)))
		ok(t, "add rs-1", s.AddSigningKey(ctx, rs1, at(999*time.Hour)))

		es2 := newSigningKey("es-2", "ES256", at(time.Hour))
		ev := auditEvent("ev-1", 1, "", "key.rotate")
		ok(t, "replace es-1", s.ReplaceSigningKey(ctx, "es-1", es2, at(25*time.Hour), ev))
		es1.RetiredAt, es1.UnpublishAt = es2.ActiveAt, at(25*time.Hour)
		got, err := s.ListSigningKeys(ctx)
		ok(t, "list", err)
		same(t, "keys after the replacement", got, []jeton.SigningKey{es1, rs1, es2})
		if !hasAudit(t, s, "ev-1") {
			t.Error("the replacement's audit event is missing")
		}

		// es-1 is no longer current: a second replacement of it (a replica that
		// found it due at the same moment) changes nothing.
		late := []struct {
			what        string
			predecessor string
			next        jeton.SigningKey
		}{
			{"replace the retired es-1", "es-1", newSigningKey("es-3", "ES256", at(2*time.Hour))},
			{"replace an unknown key", "es-9", newSigningKey("es-4", "ES256", at(2*time.Hour))},
			{"replace rs-1 with a key of another alg", "rs-1", newSigningKey("es-5", "ES256", at(2*time.Hour))},
		}
		for i, c := range late {
			is(t, c.what, s.ReplaceSigningKey(ctx, c.predecessor, c.next, at(26*time.Hour), auditEvent(fmt.Sprintf("late-%d", i), 2, "", "key.rotate")), jeton.ErrConflict)
			if hasAudit(t, s, fmt.Sprintf("late-%d", i)) {
				t.Errorf("%s: its audit event was written", c.what)
			}
		}
		got, err = s.ListSigningKeys(ctx)
		ok(t, "list", err)
		same(t, "keys after the refused replacements", got, []jeton.SigningKey{es1, rs1, es2})
	}},
	{"SigningKey/ReplaceWritesAllOrNothing", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		es1 := newSigningKey("es-1", "ES256", at(0))
		ok(t, "add es-1", s.AddSigningKey(ctx, es1, at(999*time.Hour)))
		ok(t, "append", s.AppendAudit(ctx, auditEvent("ev-taken", 0, "", "other")))
		want, err := s.ListSigningKeys(ctx)
		ok(t, "list", err)
		// The audit insert fails: es-1 stays current and no successor is stored.
		err = s.ReplaceSigningKey(ctx, "es-1", newSigningKey("es-2", "ES256", at(time.Hour)), at(25*time.Hour), auditEvent("ev-taken", 1, "", "key.rotate"))
		is(t, "duplicate audit id", err, jeton.ErrConflict)
		got, err := s.ListSigningKeys(ctx)
		ok(t, "list", err)
		same(t, "keys after a failed audit insert", got, want)
		// The successor's insert fails (its kid exists): es-1 stays current, no event.
		err = s.ReplaceSigningKey(ctx, "es-1", newSigningKey("es-1", "ES256", at(time.Hour)), at(25*time.Hour), auditEvent("ev-2", 1, "", "key.rotate"))
		is(t, "duplicate kid", err, jeton.ErrConflict)
		got, err = s.ListSigningKeys(ctx)
		ok(t, "list", err)
		same(t, "keys after a failed insert", got, want)
		if hasAudit(t, s, "ev-2") {
			t.Error("a failed replacement left its audit event")
		}
	}},
	{"Race/ReplaceSigningKey", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		ok(t, "add es-0", s.AddSigningKey(ctx, newSigningKey("es-0", "ES256", at(0)), time.Time{}))
		won := -1
		for i, err := range race(func(i int) error {
			next := newSigningKey(fmt.Sprintf("es-1-%02d", i), "ES256", at(time.Hour))
			return s.ReplaceSigningKey(ctx, "es-0", next, at(25*time.Hour), auditEvent(fmt.Sprintf("ev-%02d", i), 1, "", "key.rotate"))
		}) {
			switch {
			case err == nil && won >= 0:
				t.Errorf("racers %d and %d both replaced es-0", won, i)
			case err == nil:
				won = i
			case !errors.Is(err, jeton.ErrConflict):
				t.Errorf("racer %d: %v", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no racer replaced es-0")
		}
		keys, err := s.ListSigningKeys(ctx)
		ok(t, "list", err)
		if len(keys) != 2 || keys[1].ID != fmt.Sprintf("es-1-%02d", won) || !keys[1].RetiredAt.IsZero() || keys[0].RetiredAt.IsZero() {
			t.Errorf("keys after the race = %+v, want es-0 retired and the winner's successor current", keys)
		}
		evs, err := s.ListAudit(ctx, jeton.AuditFilter{Action: "key.rotate", Limit: 1000})
		ok(t, "list audit", err)
		if len(evs) != 1 || evs[0].ID != fmt.Sprintf("ev-%02d", won) {
			t.Errorf("audit after the race = %+v, want the winner's event alone", evs)
		}
	}},
}

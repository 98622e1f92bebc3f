// Package auditsql is the part of the audit log's list query both stores share: which
// conditions a filter makes, in the keyset order of its pages, and how a page and its
// next position come out of the rows read. Each store hands it its own dialect, so the
// SQL stays native to each (placeholders, time encoding, JSON access).
package auditsql

import (
	"strings"
	"time"

	"github.com/jeton/jeton"
)

// Dialect is what differs between the stores.
type Dialect struct {
	Param func(n int) string    // the n-th placeholder (from 1): "?" or "$n"
	Time  func(t time.Time) any // a time as the at column holds it
	// ClientDetail is details' client_id, written exactly as the index
	// audit_by_client_detail has it, so the planner uses that index.
	ClientDetail string
}

// Where is the WHERE clause of f's conditions ("" for none) and their arguments. Only
// the conditions asked for are in it, so each combination has a plan that uses its
// index (the migrations index every filter with the keyset order (at, seq)). The
// cursor is a row comparison, which such an index answers directly.
func Where(f jeton.AuditFilter, d Dialect) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, vs ...any) {
		for _, v := range vs {
			args = append(args, v)
			cond = strings.Replace(cond, "?", d.Param(len(args)), 1)
		}
		conds = append(conds, cond)
	}
	for _, c := range [...]struct{ col, v string }{
		{"institution_id", f.InstitutionID}, {"action", f.Action}, {"actor", f.Actor},
	} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if f.ClientID != "" {
		add("(subject = ? OR "+d.ClientDetail+" = ?)", f.ClientID, f.ClientID)
	}
	if !f.Since.IsZero() {
		add("at >= ?", d.Time(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", d.Time(f.Until))
	}
	if !f.After.IsZero() {
		add("(at, seq) < (?, ?)", d.Time(f.After.At), f.After.Seq)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// OrderLimit ends the query: newest first in the keyset order, one row more than the
// page (n is the limit's placeholder number) to know whether another page follows.
func OrderLimit(d Dialect, n int) string {
	return " ORDER BY at DESC, seq DESC LIMIT " + d.Param(n)
}

// Limit is f's page size: f.Limit, or the default 100.
func Limit(f jeton.AuditFilter) int {
	if f.Limit <= 0 {
		return 100
	}
	return f.Limit
}

// Page is the page of limit events read as limit+1 rows (with their seq): Next is
// the last event's position when the extra row says another follows.
func Page(events []jeton.AuditEvent, seqs []int64, limit int) jeton.AuditPage {
	if len(events) <= limit {
		return jeton.AuditPage{Events: events}
	}
	return jeton.AuditPage{Events: events[:limit], Next: jeton.AuditCursor{At: events[limit-1].At, Seq: seqs[limit-1]}}
}

package jeton

import (
	"context"
	"time"
)

// AuditFilter selects audit events; zero fields select everything. Events come newest
// first (At, then append order: the last appended first), at most Limit (default 100)
// per call.
type AuditFilter struct {
	InstitutionID string
	Action        string
	Actor         string
	// ClientID selects the events about a client: those whose Subject is the client,
	// or whose Details["client_id"] names it.
	ClientID string
	// Since and Until bound At: Since <= At < Until (a zero bound is none).
	Since, Until time.Time
	// After continues a walk: only events after this position (older ones) are listed.
	After AuditCursor
	Limit int
}

// AuditCursor is the position of one audit event in the log's order (At, then append
// order), as the store returned it in AuditPage.Next. Keyset pagination on it is
// stable under concurrent appends: a walk neither repeats nor skips an event that
// existed when it started, however many are appended meanwhile (they are newer, so
// they sort before the walk's position).
type AuditCursor struct {
	At  time.Time
	Seq int64 // the store's append sequence: orders events with equal At
}

// IsZero reports whether c is no position (the start of a walk).
func (c AuditCursor) IsZero() bool { return c.Seq == 0 && c.At.IsZero() }

// AuditPage is one ListAudit answer: the events and, when more may follow, the
// position to continue after (zero at the end of the selection).
type AuditPage struct {
	Events []AuditEvent
	Next   AuditCursor
}

// AuditStore appends and lists audit events. Admin changes append theirs through the
// ...Audited methods of the other store interfaces, in the change's own transaction.
type AuditStore interface {
	// AppendAudit appends e on its own; a duplicate e.ID is ErrConflict.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// ListAudit returns the events f selects, newest first, a page of at most f.Limit.
	// Next is set only when another event follows the page.
	ListAudit(ctx context.Context, f AuditFilter) (AuditPage, error)
	// DeleteAuditBefore removes at most batch events whose At is before before, oldest
	// first, and returns how many it removed (the janitor's retention step calls it
	// until it returns 0).
	DeleteAuditBefore(ctx context.Context, before time.Time, batch int) (int, error)
}

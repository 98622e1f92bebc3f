package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

// defaultAuditLimit is AuditFilter's documented default page size.
const defaultAuditLimit = 100

// AppendAudit appends an event; a duplicate event id is ErrConflict.
func (s *Store) AppendAudit(ctx context.Context, e jeton.AuditEvent) error {
	return mapErr("append audit", insertAudit(ctx, s.pool, e))
}

// audited runs write and appends ev in one transaction: both or neither.
func (s *Store) audited(ctx context.Context, ev jeton.AuditEvent, write func(tx pgx.Tx) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
}

// insertAudit is the INSERT of AppendAudit, on the pool or inside the transaction of
// the change the event records.
func insertAudit(ctx context.Context, db execer, e jeton.AuditEvent) error {
	details, err := jsonb(e.Details, "{}")
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `INSERT INTO audit_events (id, at, institution_id, actor,
		action, subject, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.ID, ts(e.At), e.InstitutionID, e.Actor, e.Action, e.Subject, details)
	return err
}

// ListAudit returns the events f selects, newest first (ties: last appended first), at
// most f.Limit (default 100), continuing after f.After. It reads one row more than
// the page to know whether a next page exists.
func (s *Store) ListAudit(ctx context.Context, f jeton.AuditFilter) (jeton.AuditPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	where, args := auditWhere(f)
	// Only the conditions asked for are in the statement, so each combination has a
	// plan that uses its index (the migrations index every filter with (at, seq)).
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT seq, id, at, institution_id, actor, action, subject,
		details FROM audit_events`+where+` ORDER BY at DESC, seq DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return jeton.AuditPage{}, mapErr("list audit", err)
	}
	var seqs []int64
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jeton.AuditEvent, error) {
		var e jeton.AuditEvent
		var seq int64
		err := r.Scan(&seq, &e.ID, tsCol{&e.At}, &e.InstitutionID, &e.Actor, &e.Action,
			&e.Subject, &e.Details)
		e.Details = nonNilMap(e.Details)
		seqs = append(seqs, seq)
		return e, err
	})
	if err != nil {
		return jeton.AuditPage{}, mapErr("list audit", err)
	}
	page := jeton.AuditPage{Events: events}
	if len(events) > limit {
		page.Events = events[:limit]
		page.Next = jeton.AuditCursor{At: events[limit-1].At, Seq: seqs[limit-1]}
	}
	return page, nil
}

// auditWhere is the WHERE clause of the filter's conditions ("" for none) and its
// arguments ($1...). The client condition's details->>'client_id' is the indexed
// expression of audit_by_client_detail; the cursor is a row comparison, which an
// index on (at DESC, seq DESC) answers directly.
func auditWhere(f jeton.AuditFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v ...any) {
		for i := range v {
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)+i+1), 1)
		}
		conds = append(conds, cond)
		args = append(args, v...)
	}
	for _, c := range [...]struct{ col, v string }{
		{"institution_id", f.InstitutionID}, {"action", f.Action}, {"actor", f.Actor},
	} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if f.ClientID != "" {
		add(`(subject = ? OR details->>'client_id' = ?)`, f.ClientID, f.ClientID)
	}
	if !f.Since.IsZero() {
		add("at >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", ts(f.Until))
	}
	if !f.After.IsZero() {
		add("(at, seq) < (?, ?)", ts(f.After.At), f.After.Seq)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// DeleteAuditBefore removes at most batch events older than before, oldest first,
// picked through audit_by_time.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time, batch int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit_events WHERE seq IN
		(SELECT seq FROM audit_events WHERE at < $1 ORDER BY at, seq LIMIT $2)`, ts(before), batch)
	if err != nil {
		return 0, mapErr("delete audit", err)
	}
	return int(tag.RowsAffected()), nil
}

// write is the body of a store method that changes something, on the pool or inside
// a transaction: run on its own (do) or with the audit event that records the change
// (doAudited), so both variants of an admin change share one statement.
type write func(ctx context.Context, db execer) error

// statement is a write of one statement; with matchOne, a statement that changed no
// row is ErrNotFound.
func statement(matchOne bool, query string, args ...any) write {
	return func(ctx context.Context, db execer) error {
		tag, err := db.Exec(ctx, query, args...)
		if err == nil && matchOne {
			err = mustAffect(tag)
		}
		return err
	}
}

// do runs a one-statement write on its own, on the pool.
func (s *Store) do(ctx context.Context, op string, w write) error {
	return mapErr(op, w(ctx, s.pool))
}

// doAudited runs w and appends ev in one transaction: both or neither.
func (s *Store) doAudited(ctx context.Context, op string, ev jeton.AuditEvent, w write) error {
	return mapErr(op, s.audited(ctx, ev, func(tx pgx.Tx) error { return w(ctx, tx) }))
}

// failed is a write that fails with err (its arguments could not be encoded).
func failed(err error) write {
	return func(context.Context, execer) error { return err }
}

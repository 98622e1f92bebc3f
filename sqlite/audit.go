package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/jeton/jeton"
)

// defaultAuditLimit is AuditFilter's documented default page size.
const defaultAuditLimit = 100

// AppendAudit appends an event; a duplicate event id is ErrConflict.
func (s *Store) AppendAudit(ctx context.Context, e jeton.AuditEvent) error {
	err := s.startSingle(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.insertAudit(ctx, tx, e)
	})()
	return mapErr("append audit", err)
}

// audited runs write and appends ev in one transaction: both or neither.
func (s *Store) audited(ctx context.Context, ev jeton.AuditEvent, write write) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := write(ctx, tx); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, ev)
	})
}

// insertAudit is the INSERT of AppendAudit, inside tx, for the writes that record
// their audit event in their own transaction.
func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, e jeton.AuditEvent) error {
	details, err := jsonText(e.Details)
	if err != nil {
		return err
	}
	_, err = s.execTx(ctx, tx, `INSERT INTO audit_events (id, at, institution_id,
		actor, action, subject, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.ID, micros(e.At), e.InstitutionID, e.Actor, e.Action, e.Subject, details)
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
	rows, err := s.read.QueryContext(ctx, `SELECT seq, id, at, institution_id, actor, action,
		subject, details FROM audit_events`+where+` ORDER BY at DESC, seq DESC LIMIT ?`,
		append(args, limit+1)...)
	if err != nil {
		return jeton.AuditPage{}, mapErr("list audit", err)
	}
	var seqs []int64
	events, err := collect(rows, func(r scanner) (jeton.AuditEvent, error) {
		var e jeton.AuditEvent
		var seq int64
		err := r.Scan(&seq, &e.ID, timeCol{&e.At}, &e.InstitutionID, &e.Actor, &e.Action,
			&e.Subject, jsonCol[map[string]string]{&e.Details})
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
// arguments. The client condition's json_extract is the indexed expression of
// audit_by_client_detail, written the same way so the planner can use it.
func auditWhere(f jeton.AuditFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, vs ...any) {
		conds = append(conds, cond)
		args = append(args, vs...)
	}
	for _, c := range [...]struct{ col, v string }{
		{"institution_id", f.InstitutionID}, {"action", f.Action}, {"actor", f.Actor},
	} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if f.ClientID != "" {
		add(`(subject = ? OR json_extract(details, '$.client_id') = ?)`, f.ClientID, f.ClientID)
	}
	if !f.Since.IsZero() {
		add("at >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.UnixMicro())
	}
	if !f.After.IsZero() {
		add("(at, seq) < (?, ?)", f.After.At.UnixMicro(), f.After.Seq)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// DeleteAuditBefore removes at most batch events older than before, oldest first,
// picked through audit_by_time.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time, batch int) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM audit_events WHERE seq IN
		(SELECT seq FROM audit_events WHERE at < ? ORDER BY at, seq LIMIT ?)`, before.UnixMicro(), batch)
	if err != nil {
		return 0, mapErr("delete audit", err)
	}
	n, err := res.RowsAffected()
	return int(n), mapErr("delete audit", err)
}

// write is the body of a store method that changes something, inside a write
// transaction: run on its own (do) or with the audit event that records the change
// (doAudited), so both variants of an admin change share one statement.
type write func(ctx context.Context, tx *sql.Tx) error

// statement is a write of one statement; with matchOne, a statement that changed no
// row is ErrNotFound.
func (s *Store) statement(matchOne bool, query string, args ...any) write {
	return func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.execTx(ctx, tx, query, args...)
		if err == nil && matchOne {
			err = mustAffect(res)
		}
		return err
	}
}

// failed is a write that fails with err (its arguments could not be encoded).
func failed(err error) write {
	return func(context.Context, *sql.Tx) error { return err }
}

// do runs a one-statement write on its own: SQLite undoes a failed statement by
// itself, so it needs no savepoint (writeOp.single).
func (s *Store) do(ctx context.Context, op string, w write) error {
	return mapErr(op, s.startSingle(ctx, w)())
}

// doAudited runs w and appends ev in one transaction: both or neither.
func (s *Store) doAudited(ctx context.Context, op string, ev jeton.AuditEvent, w write) error {
	return mapErr(op, s.audited(ctx, ev, w))
}

package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/auditsql"
)

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

// auditDialect is SQLite's part of the audit list query: the indexed client_id
// expression is audit_by_client_detail's.
var auditDialect = auditsql.Dialect{
	Param:        func(int) string { return "?" },
	Time:         func(t time.Time) any { return t.UnixMicro() },
	ClientDetail: `json_extract(details, '$.client_id')`,
}

// ListAudit returns the events f selects, newest first (ties: last appended first), at
// most f.Limit (default 100), continuing after f.After.
func (s *Store) ListAudit(ctx context.Context, f jeton.AuditFilter) (jeton.AuditPage, error) {
	limit := auditsql.Limit(f)
	where, args := auditsql.Where(f, auditDialect)
	args = append(args, limit+1)
	rows, err := s.read.QueryContext(ctx, `SELECT seq, id, at, institution_id, actor, action,
		subject, details FROM audit_events`+where+auditsql.OrderLimit(auditDialect, len(args)), args...)
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
	return auditsql.Page(events, seqs, limit), mapErr("list audit", err)
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

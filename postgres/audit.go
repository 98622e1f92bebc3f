package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/auditsql"
)

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

// auditDialect is PostgreSQL's part of the audit list query: the indexed client_id
// expression is audit_by_client_detail's.
var auditDialect = auditsql.Dialect{
	Param:        func(n int) string { return "$" + strconv.Itoa(n) },
	Time:         func(t time.Time) any { return ts(t) },
	ClientDetail: `details->>'client_id'`,
}

// ListAudit returns the events f selects, newest first (ties: last appended first), at
// most f.Limit (default 100), continuing after f.After.
func (s *Store) ListAudit(ctx context.Context, f jeton.AuditFilter) (jeton.AuditPage, error) {
	limit := auditsql.Limit(f)
	where, args := auditsql.Where(f, auditDialect)
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT seq, id, at, institution_id, actor, action, subject,
		details FROM audit_events`+where+auditsql.OrderLimit(auditDialect, len(args)), args...)
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
	return auditsql.Page(events, seqs, limit), mapErr("list audit", err)
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

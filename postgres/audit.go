package postgres

import (
	"context"

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
// most f.Limit (default 100).
func (s *Store) ListAudit(ctx context.Context, f jeton.AuditFilter) ([]jeton.AuditEvent, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, institution_id, actor, action, subject,
		details FROM audit_events
		WHERE ($1 = '' OR institution_id = $1) AND ($2 = '' OR action = $2)
		ORDER BY at DESC, seq DESC LIMIT $3`, f.InstitutionID, f.Action, limit)
	if err != nil {
		return nil, mapErr("list audit", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jeton.AuditEvent, error) {
		var e jeton.AuditEvent
		err := r.Scan(&e.ID, tsCol{&e.At}, &e.InstitutionID, &e.Actor, &e.Action,
			&e.Subject, &e.Details)
		e.Details = nonNilMap(e.Details)
		return e, err
	})
	return out, mapErr("list audit", err)
}

package sqlite

import (
	"context"
	"database/sql"

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
func (s *Store) audited(ctx context.Context, ev jeton.AuditEvent, write func(ctx context.Context, tx *sql.Tx) error) error {
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
// most f.Limit (default 100).
func (s *Store) ListAudit(ctx context.Context, f jeton.AuditFilter) ([]jeton.AuditEvent, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, at, institution_id, actor, action,
		subject, details FROM audit_events
		WHERE (?1 = '' OR institution_id = ?1) AND (?2 = '' OR action = ?2)
		ORDER BY at DESC, seq DESC LIMIT ?3`, f.InstitutionID, f.Action, limit)
	if err != nil {
		return nil, mapErr("list audit", err)
	}
	out, err := collect(rows, func(r scanner) (jeton.AuditEvent, error) {
		var e jeton.AuditEvent
		err := r.Scan(&e.ID, timeCol{&e.At}, &e.InstitutionID, &e.Actor, &e.Action,
			&e.Subject, jsonCol[map[string]string]{&e.Details})
		return e, err
	})
	return out, mapErr("list audit", err)
}

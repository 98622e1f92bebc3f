package sqlite

import (
	"context"
	"database/sql"

	"github.com/jeton/jeton"
)

// CreateInstitution inserts a tenant; a duplicate id is ErrConflict.
func (s *Store) CreateInstitution(ctx context.Context, in jeton.Institution) error {
	return s.do(ctx, "create institution", s.insertInstitution(in))
}

// CreateInstitutionAudited is CreateInstitution and AppendAudit(ev), both or neither.
func (s *Store) CreateInstitutionAudited(ctx context.Context, in jeton.Institution, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "create institution", ev, s.insertInstitution(in))
}

func (s *Store) insertInstitution(in jeton.Institution) write {
	return s.statement(false, `INSERT INTO institutions (id, name, created_at, updated_at, default_profile) VALUES (?, ?, ?, ?, ?)`,
		in.ID, in.Name, micros(in.CreatedAt), micros(in.UpdatedAt), in.DefaultProfile)
}

// GetInstitution returns one tenant by id.
func (s *Store) GetInstitution(ctx context.Context, id string) (jeton.Institution, error) {
	row := s.queryRow(ctx,
		`SELECT id, name, created_at, updated_at, default_profile FROM institutions WHERE id = ?`, id)
	in, err := scanInstitution(row)
	return in, mapErr("get institution", err)
}

// ListInstitutions returns every tenant, ordered by creation time, then id.
func (s *Store) ListInstitutions(ctx context.Context) ([]jeton.Institution, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT id, name, created_at, updated_at, default_profile FROM institutions ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr("list institutions", err)
	}
	out, err := collect(rows, scanInstitution)
	return out, mapErr("list institutions", err)
}

// UpdateInstitution replaces the name and update time of in.ID.
func (s *Store) UpdateInstitution(ctx context.Context, in jeton.Institution) error {
	return s.do(ctx, "update institution", s.updateInstitution(in))
}

// UpdateInstitutionAudited is UpdateInstitution and AppendAudit(ev), both or neither.
func (s *Store) UpdateInstitutionAudited(ctx context.Context, in jeton.Institution, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "update institution", ev, s.updateInstitution(in))
}

func (s *Store) updateInstitution(in jeton.Institution) write {
	return s.statement(true, `UPDATE institutions SET name = ?, updated_at = ?, default_profile = ? WHERE id = ?`,
		in.Name, micros(in.UpdatedAt), in.DefaultProfile, in.ID)
}

func scanInstitution(r scanner) (jeton.Institution, error) {
	var in jeton.Institution
	err := r.Scan(&in.ID, &in.Name, timeCol{&in.CreatedAt}, timeCol{&in.UpdatedAt}, &in.DefaultProfile)
	return in, err
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row with scan into a non-nil slice and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

// CreateInstitution inserts a tenant; a duplicate id is ErrConflict.
func (s *Store) CreateInstitution(ctx context.Context, in jeton.Institution) error {
	return s.do(ctx, "create institution", insertInstitution(in))
}

// CreateInstitutionAudited is CreateInstitution and AppendAudit(ev), both or neither.
func (s *Store) CreateInstitutionAudited(ctx context.Context, in jeton.Institution, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "create institution", ev, insertInstitution(in))
}

func insertInstitution(in jeton.Institution) write {
	return statement(false, `INSERT INTO institutions (id, name, created_at, updated_at, default_profile) VALUES ($1, $2, $3, $4, $5)`,
		in.ID, in.Name, ts(in.CreatedAt), ts(in.UpdatedAt), in.DefaultProfile)
}

// GetInstitution returns one tenant by id.
func (s *Store) GetInstitution(ctx context.Context, id string) (jeton.Institution, error) {
	row := s.pool.QueryRow(ctx,
		`SELECT id, name, created_at, updated_at, default_profile FROM institutions WHERE id = $1`, id)
	in, err := scanInstitution(row)
	return in, mapErr("get institution", err)
}

// ListInstitutions returns every tenant, ordered by creation time, then id.
func (s *Store) ListInstitutions(ctx context.Context) ([]jeton.Institution, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT id, name, created_at, updated_at, default_profile FROM institutions ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr("list institutions", err)
	}
	out, err := pgx.CollectRows(rows, rowTo(scanInstitution))
	return out, mapErr("list institutions", err)
}

// UpdateInstitution replaces the name and update time of in.ID.
func (s *Store) UpdateInstitution(ctx context.Context, in jeton.Institution) error {
	return s.do(ctx, "update institution", updateInstitution(in))
}

// UpdateInstitutionAudited is UpdateInstitution and AppendAudit(ev), both or neither.
func (s *Store) UpdateInstitutionAudited(ctx context.Context, in jeton.Institution, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "update institution", ev, updateInstitution(in))
}

func updateInstitution(in jeton.Institution) write {
	return statement(true, `UPDATE institutions SET name = $1, updated_at = $2, default_profile = $3 WHERE id = $4`,
		in.Name, ts(in.UpdatedAt), in.DefaultProfile, in.ID)
}

func scanInstitution(r pgx.Row) (jeton.Institution, error) {
	var in jeton.Institution
	err := r.Scan(&in.ID, &in.Name, tsCol{&in.CreatedAt}, tsCol{&in.UpdatedAt}, &in.DefaultProfile)
	return in, err
}

// rowTo adapts a scan function for pgx.CollectRows.
func rowTo[T any](scan func(pgx.Row) (T, error)) pgx.RowToFunc[T] {
	return func(r pgx.CollectableRow) (T, error) { return scan(r) }
}

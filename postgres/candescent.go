package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
)

const candescentCols = `institution_id, COALESCE(alias, ''), v1_enabled, updated_at`

// PutCandescentSettings upserts an institution's Candescent settings (one statement).
func (s *Store) PutCandescentSettings(ctx context.Context, cs candescentstore.Settings) error {
	return s.do(ctx, "put candescent settings", putCandescentSettings(cs))
}

// PutCandescentSettingsAudited is PutCandescentSettings and AppendAudit(ev), both or
// neither.
func (s *Store) PutCandescentSettingsAudited(ctx context.Context, cs candescentstore.Settings, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "put candescent settings", ev, putCandescentSettings(cs))
}

func putCandescentSettings(cs candescentstore.Settings) write {
	return statement(false,
		`INSERT INTO candescent_institutions (institution_id, alias, v1_enabled, updated_at)
		 VALUES ($1, NULLIF($2, ''), $3, $4)
		 ON CONFLICT (institution_id) DO UPDATE SET
		   alias = excluded.alias, v1_enabled = excluded.v1_enabled, updated_at = excluded.updated_at`,
		cs.InstitutionID, cs.Alias, cs.V1Enabled, ts(cs.UpdatedAt))
}

// GetCandescentSettings returns an institution's Candescent settings.
func (s *Store) GetCandescentSettings(ctx context.Context, institutionID string) (candescentstore.Settings, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+candescentCols+` FROM candescent_institutions WHERE institution_id = $1`, institutionID)
	cs, err := scanCandescent(row)
	return cs, mapErr("get candescent settings", err)
}

// InstitutionByAlias returns the settings that hold alias.
func (s *Store) InstitutionByAlias(ctx context.Context, alias string) (candescentstore.Settings, error) {
	if alias == "" {
		return candescentstore.Settings{}, mapErr("institution by alias", pgx.ErrNoRows)
	}
	row := s.pool.QueryRow(ctx, `SELECT `+candescentCols+` FROM candescent_institutions WHERE alias = $1`, alias)
	cs, err := scanCandescent(row)
	return cs, mapErr("institution by alias", err)
}

func scanCandescent(r pgx.Row) (candescentstore.Settings, error) {
	var cs candescentstore.Settings
	err := r.Scan(&cs.InstitutionID, &cs.Alias, &cs.V1Enabled, tsCol{&cs.UpdatedAt})
	return cs, err
}

// LinkClients records a minter -> client link.
func (s *Store) LinkClients(ctx context.Context, l candescentstore.ClientLink) error {
	return s.do(ctx, "link clients", linkClients(l))
}

// LinkClientsAudited is LinkClients and AppendAudit(ev), both or neither.
func (s *Store) LinkClientsAudited(ctx context.Context, l candescentstore.ClientLink, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "link clients", ev, linkClients(l))
}

func linkClients(l candescentstore.ClientLink) write {
	return statement(false, `INSERT INTO client_links (minter_id, client_id, created_at) VALUES ($1, $2, $3)`,
		l.MinterID, l.ClientID, ts(l.CreatedAt))
}

// UnlinkClients removes a link.
func (s *Store) UnlinkClients(ctx context.Context, minterID, clientID string) error {
	return s.do(ctx, "unlink clients", unlinkClients(minterID, clientID))
}

// UnlinkClientsAudited is UnlinkClients and AppendAudit(ev), both or neither.
func (s *Store) UnlinkClientsAudited(ctx context.Context, minterID, clientID string, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "unlink clients", ev, unlinkClients(minterID, clientID))
}

func unlinkClients(minterID, clientID string) write {
	return statement(true, `DELETE FROM client_links WHERE minter_id = $1 AND client_id = $2`, minterID, clientID)
}

// GetClientLink returns one link.
func (s *Store) GetClientLink(ctx context.Context, minterID, clientID string) (candescentstore.ClientLink, error) {
	row := s.pool.QueryRow(ctx, `SELECT minter_id, client_id, created_at FROM client_links WHERE minter_id = $1 AND client_id = $2`,
		minterID, clientID)
	l, err := scanClientLink(row)
	return l, mapErr("get client link", err)
}

// ListClientLinks returns a minter's links ordered by client id.
func (s *Store) ListClientLinks(ctx context.Context, minterID string) ([]candescentstore.ClientLink, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT minter_id, client_id, created_at FROM client_links WHERE minter_id = $1 ORDER BY client_id`, minterID)
	if err != nil {
		return nil, mapErr("list client links", err)
	}
	out, err := pgx.CollectRows(rows, rowTo(scanClientLink))
	return out, mapErr("list client links", err)
}

func scanClientLink(r pgx.Row) (candescentstore.ClientLink, error) {
	var l candescentstore.ClientLink
	err := r.Scan(&l.MinterID, &l.ClientID, tsCol{&l.CreatedAt})
	return l, err
}

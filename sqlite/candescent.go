package sqlite

import (
	"context"
	"database/sql"

	"github.com/jeton/jeton"
)

const candescentCols = `institution_id, COALESCE(alias, ''), v1_enabled, updated_at`

// PutCandescentSettings upserts an institution's Candescent settings (one statement).
func (s *Store) PutCandescentSettings(ctx context.Context, cs jeton.CandescentSettings) error {
	_, err := s.exec(ctx,
		`INSERT INTO candescent_institutions (institution_id, alias, v1_enabled, updated_at)
		 VALUES (?, NULLIF(?, ''), ?, ?)
		 ON CONFLICT (institution_id) DO UPDATE SET
		   alias = excluded.alias, v1_enabled = excluded.v1_enabled, updated_at = excluded.updated_at`,
		cs.InstitutionID, cs.Alias, cs.V1Enabled, micros(cs.UpdatedAt))
	return mapErr("put candescent settings", err)
}

// GetCandescentSettings returns an institution's Candescent settings.
func (s *Store) GetCandescentSettings(ctx context.Context, institutionID string) (jeton.CandescentSettings, error) {
	row := s.queryRow(ctx, `SELECT `+candescentCols+` FROM candescent_institutions WHERE institution_id = ?`, institutionID)
	cs, err := scanCandescent(row)
	return cs, mapErr("get candescent settings", err)
}

// InstitutionByAlias returns the settings that hold alias.
func (s *Store) InstitutionByAlias(ctx context.Context, alias string) (jeton.CandescentSettings, error) {
	if alias == "" {
		return jeton.CandescentSettings{}, mapErr("institution by alias", sql.ErrNoRows)
	}
	row := s.queryRow(ctx, `SELECT `+candescentCols+` FROM candescent_institutions WHERE alias = ?`, alias)
	cs, err := scanCandescent(row)
	return cs, mapErr("institution by alias", err)
}

func scanCandescent(r scanner) (jeton.CandescentSettings, error) {
	var cs jeton.CandescentSettings
	err := r.Scan(&cs.InstitutionID, &cs.Alias, &cs.V1Enabled, timeCol{&cs.UpdatedAt})
	return cs, err
}

// LinkClients records a minter -> client link.
func (s *Store) LinkClients(ctx context.Context, l jeton.ClientLink) error {
	_, err := s.exec(ctx, `INSERT INTO client_links (minter_id, client_id, created_at) VALUES (?, ?, ?)`,
		l.MinterID, l.ClientID, micros(l.CreatedAt))
	return mapErr("link clients", err)
}

// UnlinkClients removes a link.
func (s *Store) UnlinkClients(ctx context.Context, minterID, clientID string) error {
	res, err := s.exec(ctx, `DELETE FROM client_links WHERE minter_id = ? AND client_id = ?`, minterID, clientID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("unlink clients", err)
}

// GetClientLink returns one link.
func (s *Store) GetClientLink(ctx context.Context, minterID, clientID string) (jeton.ClientLink, error) {
	row := s.queryRow(ctx, `SELECT minter_id, client_id, created_at FROM client_links WHERE minter_id = ? AND client_id = ?`,
		minterID, clientID)
	l, err := scanClientLink(row)
	return l, mapErr("get client link", err)
}

// ListClientLinks returns a minter's links ordered by client id.
func (s *Store) ListClientLinks(ctx context.Context, minterID string) ([]jeton.ClientLink, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT minter_id, client_id, created_at FROM client_links WHERE minter_id = ? ORDER BY client_id`, minterID)
	if err != nil {
		return nil, mapErr("list client links", err)
	}
	out, err := collect(rows, scanClientLink)
	return out, mapErr("list client links", err)
}

func scanClientLink(r scanner) (jeton.ClientLink, error) {
	var l jeton.ClientLink
	err := r.Scan(&l.MinterID, &l.ClientID, timeCol{&l.CreatedAt})
	return l, err
}

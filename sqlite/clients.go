package sqlite

import (
	"context"
	"database/sql"

	"github.com/jeton/jeton"
)

const clientColumns = `id, institution_id, name, status, auth_method, secret_digest,
	previous_secret_digest, previous_secret_expires_at, public_keys, institutions, grants,
	scopes, default_scopes, redirect_uris, token_format, access_token_ttl_ns,
	refresh_token_ttl_ns, signing_alg, created_at, updated_at, secret_sealed,
	previous_secret_sealed, jwks_uri, refresh_rotation_off, max_active_tokens, first_party, require_par,
	require_signed_request_object, authorization_details_types, sender_constraints, profile`

// clientSelect is clientColumns and the client's institution's default_profile
// (jeton.Client.InstitutionProfile), read in the same statement so that the profile a
// client is held to costs no second lookup.
const clientSelect = clientColumns + `, COALESCE((SELECT i.default_profile FROM institutions i
	WHERE i.id = clients.institution_id), '')`

// CreateClient inserts a client; client ids are global, so a duplicate is ErrConflict
// whatever the institution.
func (s *Store) CreateClient(ctx context.Context, c jeton.Client) error {
	err := s.startSingle(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.insertClient(ctx, tx, c)
	})()
	return mapErr("create client", err)
}

// CreateClientAudited inserts c and appends ev in one transaction: both or neither.
func (s *Store) CreateClientAudited(ctx context.Context, c jeton.Client, ev jeton.AuditEvent) error {
	err := s.audited(ctx, ev, func(ctx context.Context, tx *sql.Tx) error { return s.insertClient(ctx, tx, c) })
	return mapErr("create client", err)
}

// insertClient is the INSERT of CreateClient, inside tx.
func (s *Store) insertClient(ctx context.Context, tx *sql.Tx, c jeton.Client) error {
	j, err := clientJSON(c)
	if err != nil {
		return err
	}
	_, err = s.execTx(ctx, tx, `INSERT INTO clients (`+clientColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.InstitutionID, c.Name, c.Status, c.AuthMethod, blob(c.SecretDigest),
		blob(c.PreviousSecretDigest), micros(c.PreviousSecretExpiresAt),
		j[0], j[1], j[2], j[3], j[4], j[5],
		c.TokenFormat, int64(c.AccessTokenTTL), int64(c.RefreshTokenTTL), c.SigningAlg,
		micros(c.CreatedAt), micros(c.UpdatedAt), blob(c.SecretSealed),
		blob(c.PreviousSecretSealed), c.JWKSURI, c.RefreshRotationOff, c.MaxActiveTokens, c.FirstParty, c.RequirePAR,
		c.RequireSignedRequestObject, j[6], j[7], c.Profile)
	return err
}

// GetClient returns a client by its global id.
func (s *Store) GetClient(ctx context.Context, clientID string) (jeton.Client, error) {
	row := s.queryRow(ctx, `SELECT `+clientSelect+` FROM clients WHERE id = ?`, clientID)
	c, err := scanClient(row)
	return c, mapErr("get client", err)
}

// ListClients returns institutionID's clients ("" for all), by CreatedAt then ID.
func (s *Store) ListClients(ctx context.Context, institutionID string) ([]jeton.Client, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+clientSelect+` FROM clients
		WHERE ?1 = '' OR institution_id = ?1 ORDER BY created_at, id`, institutionID)
	if err != nil {
		return nil, mapErr("list clients", err)
	}
	out, err := collect(rows, scanClient)
	return out, mapErr("list clients", err)
}

// SearchClients filters and pages in SQL, so a page scans no more rows than it needs.
func (s *Store) SearchClients(ctx context.Context, institutionID, query string, after jeton.Client, limit int) ([]jeton.Client, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+clientSelect+` FROM clients
		WHERE (?1 = '' OR institution_id = ?1) AND status != 'deleted'
		AND (?2 = '' OR instr(lower(name), lower(?2)) > 0 OR id = ?2)
		AND (created_at > ?3 OR (created_at = ?3 AND id > ?4))
		ORDER BY created_at, id LIMIT ?5`,
		institutionID, query, after.CreatedAt.UnixMicro(), after.ID, limit)
	if err != nil {
		return nil, mapErr("search clients", err)
	}
	out, err := collect(rows, scanClient)
	return out, mapErr("search clients", err)
}

// UpdateClient replaces every mutable field of c.ID (not InstitutionID or CreatedAt).
func (s *Store) UpdateClient(ctx context.Context, c jeton.Client) error {
	err := s.startSingle(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.updateClient(ctx, tx, c)
	})()
	return mapErr("update client", err)
}

// UpdateClientAudited updates c and appends ev in one transaction: both or neither.
func (s *Store) UpdateClientAudited(ctx context.Context, c jeton.Client, ev jeton.AuditEvent) error {
	err := s.audited(ctx, ev, func(ctx context.Context, tx *sql.Tx) error { return s.updateClient(ctx, tx, c) })
	return mapErr("update client", err)
}

// updateClient is the UPDATE of UpdateClient, inside tx.
func (s *Store) updateClient(ctx context.Context, tx *sql.Tx, c jeton.Client) error {
	j, err := clientJSON(c)
	if err != nil {
		return err
	}
	res, err := s.execTx(ctx, tx, `UPDATE clients SET name = ?, status = ?,
		auth_method = ?, secret_digest = ?, previous_secret_digest = ?,
		previous_secret_expires_at = ?, public_keys = ?, institutions = ?, grants = ?,
		scopes = ?, default_scopes = ?, redirect_uris = ?, token_format = ?,
		access_token_ttl_ns = ?, refresh_token_ttl_ns = ?, signing_alg = ?, updated_at = ?,
		secret_sealed = ?, previous_secret_sealed = ?, jwks_uri = ?, refresh_rotation_off = ?,
		max_active_tokens = ?, first_party = ?, require_par = ?,
		require_signed_request_object = ?, authorization_details_types = ?,
		sender_constraints = ?, profile = ? WHERE id = ?`,
		c.Name, c.Status, c.AuthMethod, blob(c.SecretDigest), blob(c.PreviousSecretDigest),
		micros(c.PreviousSecretExpiresAt), j[0], j[1], j[2], j[3], j[4], j[5],
		c.TokenFormat, int64(c.AccessTokenTTL), int64(c.RefreshTokenTTL), c.SigningAlg,
		micros(c.UpdatedAt), blob(c.SecretSealed), blob(c.PreviousSecretSealed), c.JWKSURI,
		c.RefreshRotationOff, c.MaxActiveTokens, c.FirstParty, c.RequirePAR,
		c.RequireSignedRequestObject, j[6], j[7], c.Profile, c.ID)
	if err != nil {
		return err
	}
	return mustAffect(res)
}

// clientJSON encodes the JSON columns in clientColumns order: public_keys,
// institutions, grants, scopes, default_scopes, redirect_uris, then
// authorization_details_types and sender_constraints.
func clientJSON(c jeton.Client) ([8]string, error) {
	var out [8]string
	for i, v := range []any{c.PublicKeys, c.Institutions, c.Grants, c.Scopes, c.DefaultScopes, c.RedirectURIs,
		c.AuthorizationDetailsTypes, c.SenderConstraints} {
		var err error
		if out[i], err = jsonText(v); err != nil {
			return out, err
		}
	}
	return out, nil
}

func scanClient(r scanner) (jeton.Client, error) {
	var c jeton.Client
	err := r.Scan(&c.ID, &c.InstitutionID, &c.Name, &c.Status, &c.AuthMethod,
		&c.SecretDigest, &c.PreviousSecretDigest, timeCol{&c.PreviousSecretExpiresAt},
		jsonCol[[]jeton.ClientKey]{&c.PublicKeys}, jsonCol[[]string]{&c.Institutions},
		jsonCol[[]string]{&c.Grants}, jsonCol[[]string]{&c.Scopes},
		jsonCol[[]string]{&c.DefaultScopes}, jsonCol[[]string]{&c.RedirectURIs},
		&c.TokenFormat, durCol(&c.AccessTokenTTL), durCol(&c.RefreshTokenTTL), &c.SigningAlg,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.SecretSealed, &c.PreviousSecretSealed,
		&c.JWKSURI, &c.RefreshRotationOff, &c.MaxActiveTokens, &c.FirstParty, &c.RequirePAR,
		&c.RequireSignedRequestObject, jsonCol[[]string]{&c.AuthorizationDetailsTypes},
		jsonCol[jeton.SenderConstraints]{&c.SenderConstraints}, &c.Profile, &c.InstitutionProfile)
	return c, err
}

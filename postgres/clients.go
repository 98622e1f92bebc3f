package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
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
	return mapErr("create client", insertClient(ctx, s.pool, c))
}

// CreateClientAudited inserts c and appends ev in one transaction: both or neither.
func (s *Store) CreateClientAudited(ctx context.Context, c jeton.Client, ev jeton.AuditEvent) error {
	err := s.audited(ctx, ev, func(tx pgx.Tx) error { return insertClient(ctx, tx, c) })
	return mapErr("create client", err)
}

// insertClient is the INSERT of CreateClient, on the pool or inside a transaction.
func insertClient(ctx context.Context, db execer, c jeton.Client) error {
	keys, err := jsonb(c.PublicKeys, "[]")
	if err != nil {
		return err
	}
	sc, err := jsonb(c.SenderConstraints, "{}")
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `INSERT INTO clients (`+clientColumns+`) VALUES
		($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
		$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)`,
		c.ID, c.InstitutionID, c.Name, c.Status, c.AuthMethod, c.SecretDigest,
		c.PreviousSecretDigest, ts(c.PreviousSecretExpiresAt), keys, texts(c.Institutions),
		texts(c.Grants), texts(c.Scopes), texts(c.DefaultScopes), texts(c.RedirectURIs),
		c.TokenFormat, int64(c.AccessTokenTTL), int64(c.RefreshTokenTTL), c.SigningAlg,
		ts(c.CreatedAt), ts(c.UpdatedAt), c.SecretSealed, c.PreviousSecretSealed, c.JWKSURI,
		c.RefreshRotationOff, c.MaxActiveTokens, c.FirstParty, c.RequirePAR,
		c.RequireSignedRequestObject, texts(c.AuthorizationDetailsTypes), sc, c.Profile)
	return err
}

// GetClient returns a client by its global id.
func (s *Store) GetClient(ctx context.Context, clientID string) (jeton.Client, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+clientSelect+` FROM clients WHERE id = $1`, clientID)
	c, err := scanClient(row)
	return c, mapErr("get client", err)
}

// ListClients returns institutionID's clients ("" for all), by CreatedAt then ID.
func (s *Store) ListClients(ctx context.Context, institutionID string) ([]jeton.Client, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+clientSelect+` FROM clients
		WHERE $1 = '' OR institution_id = $1 ORDER BY created_at, id`, institutionID)
	if err != nil {
		return nil, mapErr("list clients", err)
	}
	out, err := pgx.CollectRows(rows, rowTo(scanClient))
	return out, mapErr("list clients", err)
}

// SearchClients filters and pages in SQL, so a page scans no more rows than it needs.
func (s *Store) SearchClients(ctx context.Context, institutionID, query string, after jeton.Client, limit int) ([]jeton.Client, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+clientSelect+` FROM clients
		WHERE ($1 = '' OR institution_id = $1) AND status <> 'deleted'
		AND ($2 = '' OR strpos(lower(name), lower($2)) > 0 OR id = $2)
		AND (created_at, id) > ($3, $4)
		ORDER BY created_at, id LIMIT $5`,
		institutionID, query, after.CreatedAt, after.ID, limit)
	if err != nil {
		return nil, mapErr("search clients", err)
	}
	out, err := pgx.CollectRows(rows, rowTo(scanClient))
	return out, mapErr("search clients", err)
}

// UpdateClient replaces every mutable field of c.ID (not InstitutionID or CreatedAt).
func (s *Store) UpdateClient(ctx context.Context, c jeton.Client) error {
	return mapErr("update client", updateClient(ctx, s.pool, c))
}

// UpdateClientAudited updates c and appends ev in one transaction: both or neither.
func (s *Store) UpdateClientAudited(ctx context.Context, c jeton.Client, ev jeton.AuditEvent) error {
	err := s.audited(ctx, ev, func(tx pgx.Tx) error { return updateClient(ctx, tx, c) })
	return mapErr("update client", err)
}

// updateClient is the UPDATE of UpdateClient, on the pool or inside a transaction.
func updateClient(ctx context.Context, db execer, c jeton.Client) error {
	keys, err := jsonb(c.PublicKeys, "[]")
	if err != nil {
		return err
	}
	sc, err := jsonb(c.SenderConstraints, "{}")
	if err != nil {
		return err
	}
	tag, err := db.Exec(ctx, `UPDATE clients SET name = $1, status = $2,
		auth_method = $3, secret_digest = $4, previous_secret_digest = $5,
		previous_secret_expires_at = $6, public_keys = $7, institutions = $8, grants = $9,
		scopes = $10, default_scopes = $11, redirect_uris = $12, token_format = $13,
		access_token_ttl_ns = $14, refresh_token_ttl_ns = $15, signing_alg = $16,
		updated_at = $17, secret_sealed = $18, previous_secret_sealed = $19, jwks_uri = $20,
		refresh_rotation_off = $21, max_active_tokens = $22, first_party = $23, require_par = $24,
		require_signed_request_object = $25, authorization_details_types = $26,
		sender_constraints = $27, profile = $28 WHERE id = $29`,
		c.Name, c.Status, c.AuthMethod, c.SecretDigest, c.PreviousSecretDigest,
		ts(c.PreviousSecretExpiresAt), keys, texts(c.Institutions), texts(c.Grants),
		texts(c.Scopes), texts(c.DefaultScopes), texts(c.RedirectURIs), c.TokenFormat,
		int64(c.AccessTokenTTL), int64(c.RefreshTokenTTL), c.SigningAlg,
		ts(c.UpdatedAt), c.SecretSealed, c.PreviousSecretSealed, c.JWKSURI,
		c.RefreshRotationOff, c.MaxActiveTokens, c.FirstParty, c.RequirePAR,
		c.RequireSignedRequestObject, texts(c.AuthorizationDetailsTypes), sc, c.Profile, c.ID)
	if err != nil {
		return err
	}
	return mustAffect(tag)
}

func scanClient(r pgx.Row) (jeton.Client, error) {
	var c jeton.Client
	err := r.Scan(&c.ID, &c.InstitutionID, &c.Name, &c.Status, &c.AuthMethod,
		&c.SecretDigest, &c.PreviousSecretDigest, tsCol{&c.PreviousSecretExpiresAt},
		&c.PublicKeys, &c.Institutions, &c.Grants, &c.Scopes, &c.DefaultScopes,
		&c.RedirectURIs, &c.TokenFormat, durCol(&c.AccessTokenTTL),
		durCol(&c.RefreshTokenTTL), &c.SigningAlg, tsCol{&c.CreatedAt}, tsCol{&c.UpdatedAt},
		&c.SecretSealed, &c.PreviousSecretSealed, &c.JWKSURI, &c.RefreshRotationOff, &c.MaxActiveTokens, &c.FirstParty, &c.RequirePAR,
		&c.RequireSignedRequestObject, &c.AuthorizationDetailsTypes, &c.SenderConstraints, &c.Profile, &c.InstitutionProfile)
	c.PublicKeys, c.Institutions, c.Grants = nonNil(c.PublicKeys), nonNil(c.Institutions), nonNil(c.Grants)
	c.Scopes, c.DefaultScopes, c.RedirectURIs = nonNil(c.Scopes), nonNil(c.DefaultScopes), nonNil(c.RedirectURIs)
	c.AuthorizationDetailsTypes = nonNil(c.AuthorizationDetailsTypes)
	return c, err
}

package postgres

import (
	"context"

	"github.com/jeton/jeton"
)

// CreateAccessToken records an opaque access token under its digest.
func (s *Store) CreateAccessToken(ctx context.Context, t jeton.AccessToken) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO access_tokens (digest, jti, client_id,
		institution_id, subject, scope, audience, family_id, issued_at, expires_at,
		authorization_details, cnf_jkt, cnf_x5t_s256)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		t.Digest, t.JTI, t.ClientID, t.InstitutionID, t.Subject, texts(t.Scope),
		texts(t.Audience), t.FamilyID, t.IssuedAt, t.ExpiresAt, string(t.AuthorizationDetails),
		t.Confirmation.JKT, t.Confirmation.X5TS256)
	return mapErr("create access token", err)
}

// GetAccessToken returns the opaque access token with digest.
func (s *Store) GetAccessToken(ctx context.Context, digest []byte) (jeton.AccessToken, error) {
	var t jeton.AccessToken
	err := s.pool.QueryRow(ctx, `SELECT digest, jti, client_id, institution_id, subject,
		scope, audience, family_id, issued_at, expires_at, authorization_details, cnf_jkt, cnf_x5t_s256
		FROM access_tokens WHERE digest = $1`, digest).Scan(
		&t.Digest, &t.JTI, &t.ClientID, &t.InstitutionID, &t.Subject, &t.Scope,
		&t.Audience, &t.FamilyID, tsCol{&t.IssuedAt}, tsCol{&t.ExpiresAt},
		rawJSONCol{&t.AuthorizationDetails}, &t.Confirmation.JKT, &t.Confirmation.X5TS256)
	t.Scope, t.Audience = nonNil(t.Scope), nonNil(t.Audience)
	return t, mapErr("get access token", err)
}

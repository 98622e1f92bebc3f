package sqlite

import (
	"context"

	"github.com/jeton/jeton"
)

// CreateAccessToken records an opaque access token under its digest.
func (s *Store) CreateAccessToken(ctx context.Context, t jeton.AccessToken) error {
	scope, err := jsonText(t.Scope)
	if err != nil {
		return mapErr("create access token", err)
	}
	aud, err := jsonText(t.Audience)
	if err != nil {
		return mapErr("create access token", err)
	}
	_, err = s.exec(ctx, `INSERT INTO access_tokens (digest, jti, client_id,
		institution_id, subject, scope, audience, family_id, issued_at, expires_at,
		authorization_details, cnf_jkt, cnf_x5t_s256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Digest, t.JTI, t.ClientID, t.InstitutionID, t.Subject, scope, aud, t.FamilyID,
		micros(t.IssuedAt), micros(t.ExpiresAt), string(t.AuthorizationDetails),
		t.Confirmation.JKT, t.Confirmation.X5TS256)
	return mapErr("create access token", err)
}

// GetAccessToken returns the opaque access token with digest.
func (s *Store) GetAccessToken(ctx context.Context, digest []byte) (jeton.AccessToken, error) {
	var t jeton.AccessToken
	err := s.queryRow(ctx, `SELECT digest, jti, client_id, institution_id,
		subject, scope, audience, family_id, issued_at, expires_at, authorization_details,
		cnf_jkt, cnf_x5t_s256
		FROM access_tokens WHERE digest = ?`, digest).Scan(
		&t.Digest, &t.JTI, &t.ClientID, &t.InstitutionID, &t.Subject,
		jsonCol[[]string]{&t.Scope}, jsonCol[[]string]{&t.Audience}, &t.FamilyID,
		timeCol{&t.IssuedAt}, timeCol{&t.ExpiresAt}, rawJSONCol{&t.AuthorizationDetails},
		&t.Confirmation.JKT, &t.Confirmation.X5TS256)
	return t, mapErr("get access token", err)
}

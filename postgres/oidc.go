package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

func init() {
	// The janitor also removes expired codes and pushed requests.
	expiredDeletes = append(expiredDeletes,
		`DELETE FROM authorization_codes WHERE ctid IN (SELECT ctid FROM authorization_codes WHERE expires_at <= $1 LIMIT $2)`,
		`DELETE FROM pushed_requests WHERE ctid IN (SELECT ctid FROM pushed_requests WHERE expires_at <= $1 LIMIT $2)`)
}

const codeColumns = `digest, client_id, institution_id, subject, redirect_uri, scope,
	nonce, code_challenge, auth_time, grant_id, created_at, expires_at, used_at,
	authorization_details, dpop_jkt`

// CreateAuthorizationCode records an authorization code (digest only).
func (s *Store) CreateAuthorizationCode(ctx context.Context, c jeton.AuthorizationCode) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO authorization_codes (`+codeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		c.Digest, c.ClientID, c.InstitutionID, c.Subject, c.RedirectURI, texts(c.Scope),
		c.Nonce, c.CodeChallenge, ts(c.AuthTime), c.GrantID, ts(c.CreatedAt), c.ExpiresAt,
		ts(c.UsedAt), string(c.AuthorizationDetails), c.DPoPJKT)
	return mapErr("create authorization code", err)
}

// ConsumeAuthorizationCode is ATOMIC (DESIGN rule 1): one UPDATE ... WHERE client_id
// = $3 AND used_at IS NULL RETURNING, so no other client ever changes the code (RFC
// 6749 §4.1.3). Racing callers queue on the row lock and, once the winner commits,
// re-check the condition (READ COMMITTED) and match nothing; they then read the code
// back to learn why: used (ErrAlreadyUsed, with the code) or another client's
// (ErrWrongClient).
func (s *Store) ConsumeAuthorizationCode(ctx context.Context, digest []byte, clientID string, now time.Time) (jeton.AuthorizationCode, error) {
	c, err := scanCode(s.pool.QueryRow(ctx, `UPDATE authorization_codes SET used_at = $1
		WHERE digest = $2 AND client_id = $3 AND used_at IS NULL RETURNING `+codeColumns,
		now, digest, clientID))
	if !errors.Is(err, pgx.ErrNoRows) {
		return c, mapErr("consume authorization code", err)
	}
	c, err = scanCode(s.pool.QueryRow(ctx, `SELECT `+codeColumns+`
		FROM authorization_codes WHERE digest = $1`, digest))
	if err == nil {
		err = notConsumed(&c, clientID)
	}
	return c, mapErr("consume authorization code", err)
}

// notConsumed says why a code that exists was not consumed by clientID; another
// client's code is not handed back.
func notConsumed(c *jeton.AuthorizationCode, clientID string) error {
	if c.ClientID != clientID {
		*c = jeton.AuthorizationCode{}
		return jeton.ErrWrongClient
	}
	return jeton.ErrAlreadyUsed
}

func scanCode(r pgx.Row) (jeton.AuthorizationCode, error) {
	var c jeton.AuthorizationCode
	err := r.Scan(&c.Digest, &c.ClientID, &c.InstitutionID, &c.Subject, &c.RedirectURI,
		&c.Scope, &c.Nonce, &c.CodeChallenge, tsCol{&c.AuthTime}, &c.GrantID,
		tsCol{&c.CreatedAt}, tsCol{&c.ExpiresAt}, tsCol{&c.UsedAt}, rawJSONCol{&c.AuthorizationDetails}, &c.DPoPJKT)
	c.Scope = nonNil(c.Scope)
	return c, err
}

// PushAuthorizationRequest records a pushed authorization request (RFC 9126 §2.2).
func (s *Store) PushAuthorizationRequest(ctx context.Context, p jeton.PushedRequest) error {
	params, err := jsonb(p.Params, "{}")
	if err != nil {
		return mapErr("push authorization request", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO pushed_requests (digest, client_id, params,
		created_at, expires_at, signed) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.Digest, p.ClientID, params, ts(p.CreatedAt), p.ExpiresAt, p.Signed)
	return mapErr("push authorization request", err)
}

// ConsumePushedRequest is ATOMIC (DESIGN rule 1): one DELETE ... RETURNING, so a
// request_uri is used at most once (RFC 9126 §4). The client is part of the condition
// because a request_uri is bound to the client that pushed it (RFC 9126 §2.2): another
// client's attempt matches no row and deletes nothing.
func (s *Store) ConsumePushedRequest(ctx context.Context, digest []byte, clientID string, now time.Time) (jeton.PushedRequest, error) {
	var p jeton.PushedRequest
	err := s.pool.QueryRow(ctx, `DELETE FROM pushed_requests
		WHERE digest = $1 AND client_id = $2 AND expires_at > $3
		RETURNING digest, client_id, params, created_at, expires_at, signed`, digest, clientID, now).Scan(
		&p.Digest, &p.ClientID, &p.Params, tsCol{&p.CreatedAt}, tsCol{&p.ExpiresAt}, &p.Signed)
	p.Params = nonNilMap(p.Params)
	return p, mapErr("consume pushed request", err)
}

// SaveConsent inserts or replaces a customer's consent to a client.
func (s *Store) SaveConsent(ctx context.Context, c jeton.Consent) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO consents (institution_id, customer_id,
		client_id, scope, granted_at, authorization_details) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (institution_id, customer_id, client_id)
		DO UPDATE SET scope = EXCLUDED.scope, granted_at = EXCLUDED.granted_at,
		authorization_details = EXCLUDED.authorization_details`,
		c.InstitutionID, c.CustomerID, c.ClientID, texts(c.Scope), ts(c.GrantedAt), string(c.AuthorizationDetails))
	return mapErr("save consent", err)
}

const consentColumns = `institution_id, customer_id, client_id, scope, granted_at, authorization_details`

func scanConsent(r pgx.Row) (jeton.Consent, error) {
	var c jeton.Consent
	err := r.Scan(&c.InstitutionID, &c.CustomerID, &c.ClientID, &c.Scope, tsCol{&c.GrantedAt},
		rawJSONCol{&c.AuthorizationDetails})
	c.Scope = nonNil(c.Scope)
	return c, err
}

// GetConsent returns one consent.
func (s *Store) GetConsent(ctx context.Context, institutionID, customerID, clientID string) (jeton.Consent, error) {
	c, err := scanConsent(s.pool.QueryRow(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE institution_id = $1 AND customer_id = $2 AND client_id = $3`,
		institutionID, customerID, clientID))
	return c, mapErr("get consent", err)
}

// ListConsents returns a customer's consents by client id.
func (s *Store) ListConsents(ctx context.Context, institutionID, customerID string) ([]jeton.Consent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE institution_id = $1 AND customer_id = $2 ORDER BY client_id`, institutionID, customerID)
	if err != nil {
		return nil, mapErr("list consents", err)
	}
	out, err := pgx.CollectRows(rows, rowTo(scanConsent))
	return nonNil(out), mapErr("list consents", err)
}

// RevokeConsents deletes one consent, or all of a customer's when clientID is "".
func (s *Store) RevokeConsents(ctx context.Context, institutionID, customerID, clientID string) (int, error) {
	return revokeConsents(ctx, s.pool, institutionID, customerID, clientID)
}

// RevokeConsentsAudited is RevokeConsents and AppendAudit(ev), both or neither; ev is
// appended with Details["revoked"] set to the number revoked.
func (s *Store) RevokeConsentsAudited(ctx context.Context, institutionID, customerID, clientID string, ev jeton.AuditEvent) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) (err error) {
		if n, err = revokeConsents(ctx, tx, institutionID, customerID, clientID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, jeton.WithAuditDetail(ev, "revoked", strconv.Itoa(n)))
	})
	return n, mapErr("revoke consents", err)
}

func revokeConsents(ctx context.Context, db execer, institutionID, customerID, clientID string) (int, error) {
	tag, err := db.Exec(ctx, `DELETE FROM consents WHERE institution_id = $1
		AND customer_id = $2 AND ($3 = '' OR client_id = $3)`, institutionID, customerID, clientID)
	return int(tag.RowsAffected()), mapErr("revoke consents", err)
}

// GetBranding returns an institution's page branding.
func (s *Store) GetBranding(ctx context.Context, institutionID string) (jeton.Branding, error) {
	var b jeton.Branding
	err := s.pool.QueryRow(ctx, `SELECT institution_id, display_name, logo_url,
		accent_color, updated_at FROM institution_branding WHERE institution_id = $1`,
		institutionID).Scan(&b.InstitutionID, &b.DisplayName, &b.LogoURL, &b.AccentColor,
		tsCol{&b.UpdatedAt})
	return b, mapErr("get branding", err)
}

// PutBranding sets an institution's page branding.
func (s *Store) PutBranding(ctx context.Context, b jeton.Branding) error {
	return s.do(ctx, "put branding", putBranding(b))
}

// PutBrandingAudited is PutBranding and AppendAudit(ev), both or neither.
func (s *Store) PutBrandingAudited(ctx context.Context, b jeton.Branding, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "put branding", ev, putBranding(b))
}

func putBranding(b jeton.Branding) write {
	return statement(false, `INSERT INTO institution_branding (institution_id,
		display_name, logo_url, accent_color, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (institution_id) DO UPDATE SET display_name = EXCLUDED.display_name,
		logo_url = EXCLUDED.logo_url, accent_color = EXCLUDED.accent_color,
		updated_at = EXCLUDED.updated_at`,
		b.InstitutionID, b.DisplayName, b.LogoURL, b.AccentColor, ts(b.UpdatedAt))
}

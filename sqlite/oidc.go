package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/jeton/jeton"
)

func init() {
	// The janitor also removes expired codes and pushed requests.
	expiredDeletes = append(expiredDeletes,
		`DELETE FROM authorization_codes WHERE digest IN
		(SELECT digest FROM authorization_codes WHERE expires_at <= ?1 LIMIT ?2)`,
		`DELETE FROM pushed_requests WHERE digest IN
		(SELECT digest FROM pushed_requests WHERE expires_at <= ?1 LIMIT ?2)`)
}

const codeColumns = `digest, client_id, institution_id, subject, redirect_uri, scope,
	nonce, code_challenge, auth_time, grant_id, created_at, expires_at, used_at,
	authorization_details, dpop_jkt`

// CreateAuthorizationCode records an authorization code (digest only).
func (s *Store) CreateAuthorizationCode(ctx context.Context, c jeton.AuthorizationCode) error {
	scope, err := jsonText(c.Scope)
	if err != nil {
		return mapErr("create authorization code", err)
	}
	_, err = s.exec(ctx, `INSERT INTO authorization_codes (`+codeColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Digest, c.ClientID, c.InstitutionID, c.Subject, c.RedirectURI, scope, c.Nonce,
		c.CodeChallenge, micros(c.AuthTime), c.GrantID, micros(c.CreatedAt),
		c.ExpiresAt.UnixMicro(), micros(c.UsedAt), string(c.AuthorizationDetails), c.DPoPJKT)
	return mapErr("create authorization code", err)
}

// ConsumeAuthorizationCode is ATOMIC (DESIGN rule 1): one UPDATE ... WHERE client_id
// = ? AND used_at IS NULL RETURNING claims the code inside the single writer's
// transaction, so of N racing callers exactly one of clientID gets the row, and no
// other client ever changes it (RFC 6749 §4.1.3). The others read the code back to
// learn why: used (ErrAlreadyUsed, with the code) or another client's (ErrWrongClient).
func (s *Store) ConsumeAuthorizationCode(ctx context.Context, digest []byte, clientID string, now time.Time) (jeton.AuthorizationCode, error) {
	var c jeton.AuthorizationCode
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		c, err = scanCode(s.queryRowTx(ctx, tx, `UPDATE authorization_codes SET used_at = ?
			WHERE digest = ? AND client_id = ? AND used_at IS NULL RETURNING `+codeColumns,
			now.UnixMicro(), digest, clientID))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		c, err = scanCode(s.queryRowTx(ctx, tx, `SELECT `+codeColumns+`
			FROM authorization_codes WHERE digest = ?`, digest))
		if err != nil {
			return err
		}
		return notConsumed(&c, clientID)
	})
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

func scanCode(r scanner) (jeton.AuthorizationCode, error) {
	var c jeton.AuthorizationCode
	err := r.Scan(&c.Digest, &c.ClientID, &c.InstitutionID, &c.Subject, &c.RedirectURI,
		jsonCol[[]string]{&c.Scope}, &c.Nonce, &c.CodeChallenge, timeCol{&c.AuthTime},
		&c.GrantID, timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt}, timeCol{&c.UsedAt},
		rawJSONCol{&c.AuthorizationDetails}, &c.DPoPJKT)
	return c, err
}

// PushAuthorizationRequest records a pushed authorization request (RFC 9126 §2.2).
func (s *Store) PushAuthorizationRequest(ctx context.Context, p jeton.PushedRequest) error {
	params, err := jsonText(p.Params)
	if err != nil {
		return mapErr("push authorization request", err)
	}
	_, err = s.exec(ctx, `INSERT INTO pushed_requests (digest, client_id, params,
		created_at, expires_at, signed) VALUES (?, ?, ?, ?, ?, ?)`,
		p.Digest, p.ClientID, params, micros(p.CreatedAt), p.ExpiresAt.UnixMicro(), p.Signed)
	return mapErr("push authorization request", err)
}

// ConsumePushedRequest is ATOMIC (DESIGN rule 1): one DELETE ... RETURNING, so a
// request_uri is used at most once (RFC 9126 §4). The client is part of the condition
// because a request_uri is bound to the client that pushed it (RFC 9126 §2.2): another
// client's attempt matches no row and deletes nothing.
func (s *Store) ConsumePushedRequest(ctx context.Context, digest []byte, clientID string, now time.Time) (jeton.PushedRequest, error) {
	var p jeton.PushedRequest
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.queryRowTx(ctx, tx, `DELETE FROM pushed_requests
			WHERE digest = ? AND client_id = ? AND expires_at > ?
			RETURNING digest, client_id, params, created_at, expires_at, signed`,
			digest, clientID, now.UnixMicro()).Scan(&p.Digest, &p.ClientID,
			jsonCol[map[string][]string]{&p.Params}, timeCol{&p.CreatedAt}, timeCol{&p.ExpiresAt}, &p.Signed)
	})
	return p, mapErr("consume pushed request", err)
}

// SaveConsent inserts or replaces a customer's consent to a client.
func (s *Store) SaveConsent(ctx context.Context, c jeton.Consent) error {
	scope, err := jsonText(c.Scope)
	if err != nil {
		return mapErr("save consent", err)
	}
	_, err = s.exec(ctx, `INSERT INTO consents (institution_id, customer_id, client_id,
		scope, granted_at, authorization_details) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (institution_id, customer_id, client_id)
		DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at,
		authorization_details = excluded.authorization_details`,
		c.InstitutionID, c.CustomerID, c.ClientID, scope, micros(c.GrantedAt), string(c.AuthorizationDetails))
	return mapErr("save consent", err)
}

const consentColumns = `institution_id, customer_id, client_id, scope, granted_at, authorization_details`

func scanConsent(r scanner) (jeton.Consent, error) {
	var c jeton.Consent
	err := r.Scan(&c.InstitutionID, &c.CustomerID, &c.ClientID,
		jsonCol[[]string]{&c.Scope}, timeCol{&c.GrantedAt}, rawJSONCol{&c.AuthorizationDetails})
	return c, err
}

// GetConsent returns one consent.
func (s *Store) GetConsent(ctx context.Context, institutionID, customerID, clientID string) (jeton.Consent, error) {
	c, err := scanConsent(s.queryRow(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE institution_id = ? AND customer_id = ? AND client_id = ?`,
		institutionID, customerID, clientID))
	return c, mapErr("get consent", err)
}

// ListConsents returns a customer's consents by client id.
func (s *Store) ListConsents(ctx context.Context, institutionID, customerID string) ([]jeton.Consent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE institution_id = ? AND customer_id = ? ORDER BY client_id`, institutionID, customerID)
	if err != nil {
		return nil, mapErr("list consents", err)
	}
	out, err := collect(rows, scanConsent)
	return out, mapErr("list consents", err)
}

// RevokeConsents deletes one consent, or all of a customer's when clientID is "".
func (s *Store) RevokeConsents(ctx context.Context, institutionID, customerID, clientID string) (int, error) {
	var n int
	err := s.do(ctx, "revoke consents", s.revokeConsents(institutionID, customerID, clientID, &n))
	return n, err
}

// RevokeConsentsAudited is RevokeConsents and AppendAudit(ev), both or neither; ev is
// appended with Details["revoked"] set to the number revoked.
func (s *Store) RevokeConsentsAudited(ctx context.Context, institutionID, customerID, clientID string, ev jeton.AuditEvent) (int, error) {
	var n int
	revoke := s.revokeConsents(institutionID, customerID, clientID, &n)
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := revoke(ctx, tx); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, jeton.WithAuditDetail(ev, "revoked", strconv.Itoa(n)))
	})
	return n, mapErr("revoke consents", err)
}

func (s *Store) revokeConsents(institutionID, customerID, clientID string, n *int) write {
	return func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.execTx(ctx, tx, `DELETE FROM consents WHERE institution_id = ?1
			AND customer_id = ?2 AND (?3 = '' OR client_id = ?3)`, institutionID, customerID, clientID)
		if err != nil {
			return err
		}
		affected, err := res.RowsAffected()
		*n = int(affected)
		return err
	}
}

// GetBranding returns an institution's page branding.
func (s *Store) GetBranding(ctx context.Context, institutionID string) (jeton.Branding, error) {
	var b jeton.Branding
	err := s.queryRow(ctx, `SELECT institution_id, display_name, logo_url, accent_color,
		updated_at FROM institution_branding WHERE institution_id = ?`, institutionID).Scan(
		&b.InstitutionID, &b.DisplayName, &b.LogoURL, &b.AccentColor, timeCol{&b.UpdatedAt})
	return b, mapErr("get branding", err)
}

// PutBranding sets an institution's page branding.
func (s *Store) PutBranding(ctx context.Context, b jeton.Branding) error {
	return s.do(ctx, "put branding", s.putBranding(b))
}

// PutBrandingAudited is PutBranding and AppendAudit(ev), both or neither.
func (s *Store) PutBrandingAudited(ctx context.Context, b jeton.Branding, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "put branding", ev, s.putBranding(b))
}

func (s *Store) putBranding(b jeton.Branding) write {
	return s.statement(false, `INSERT INTO institution_branding (institution_id, display_name,
		logo_url, accent_color, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (institution_id) DO UPDATE SET display_name = excluded.display_name,
		logo_url = excluded.logo_url, accent_color = excluded.accent_color,
		updated_at = excluded.updated_at`,
		b.InstitutionID, b.DisplayName, b.LogoURL, b.AccentColor, micros(b.UpdatedAt))
}

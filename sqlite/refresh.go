package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/jeton/jeton"
)

// CreateRefreshFamily inserts a family and its first token in one transaction: a
// conflict on either leaves neither.
//
// It runs without a savepoint, which saves two of its four statements on the path
// every new family takes (CardCore starts one per client_credentials token): a
// failed family insert undoes itself (a single statement), and if the token insert
// fails the family row it just wrote is deleted again in the same transaction. No
// one can see the row in between, since the committer runs one write at a time and
// nothing is visible before COMMIT.
func (s *Store) CreateRefreshFamily(ctx context.Context, f jeton.RefreshFamily, first jeton.RefreshToken) error {
	scope, err := jsonText(f.Scope)
	if err != nil {
		return mapErr("create refresh family", err)
	}
	err = s.startSingle(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.execTx(ctx, tx, `INSERT INTO refresh_families (id, client_id,
			institution_id, subject, scope, auth_time, created_at, expires_at, revoked_at,
			authorization_details, dpop_jkt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, f.ClientID, f.InstitutionID, f.Subject, scope, micros(f.AuthTime),
			micros(f.CreatedAt), micros(f.ExpiresAt), micros(f.RevokedAt), string(f.AuthorizationDetails), f.DPoPJKT)
		if err != nil {
			return err
		}
		if err := s.insertToken(ctx, tx, first); err != nil {
			_, delErr := s.execTx(ctx, tx, `DELETE FROM refresh_families WHERE id = ?`, f.ID)
			return errors.Join(err, delErr)
		}
		return nil
	})()
	return mapErr("create refresh family", err)
}

// insertToken stores t under its family (jeton.SplitRefreshKey): a family-prefixed
// key as (family_id, digest), any other key as a legacy row found by its digest.
func (s *Store) insertToken(ctx context.Context, tx *sql.Tx, t jeton.RefreshToken) error {
	fam, digest, prefixed := jeton.SplitRefreshKey(t.Digest)
	legacy := any(1)
	if prefixed {
		if fam != t.FamilyID {
			return errors.New("refresh token key names another family")
		}
		legacy = nil
	}
	_, err := s.execTx(ctx, tx, `INSERT INTO refresh_tokens (family_id, digest,
		created_at, expires_at, used_at, successor_digest, legacy) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.FamilyID, digest, micros(t.CreatedAt), micros(t.ExpiresAt), micros(t.UsedAt),
		blob(t.SuccessorDigest), legacy)
	return err
}

// tokenWhere is the WHERE clause that finds the token with key, and its arguments: by
// the primary key for a family-prefixed key, through the legacy index otherwise
// (migration 13).
func tokenWhere(key []byte) (string, []any) {
	if fam, digest, prefixed := jeton.SplitRefreshKey(key); prefixed {
		return ` WHERE t.family_id = ? AND t.digest = ?`, []any{fam, digest}
	}
	return ` WHERE t.digest = ? AND t.legacy = 1`, []any{key}
}

// GetRefreshToken returns the token with key digest and its family.
func (s *Store) GetRefreshToken(ctx context.Context, digest []byte) (jeton.RefreshToken, jeton.RefreshFamily, error) {
	where, args := tokenWhere(digest)
	t, f, err := scanRefresh(s.queryRow(ctx, refreshSelect+where, args...), digest)
	return t, f, mapErr("get refresh token", err)
}

// refreshSelect reads a token and its family, for scanRefresh.
const refreshSelect = `SELECT t.family_id, t.created_at,
		t.expires_at, t.used_at, t.successor_digest, f.id, f.client_id, f.institution_id,
		f.subject, f.scope, f.auth_time, f.created_at, f.expires_at, f.revoked_at,
		f.authorization_details, f.dpop_jkt
		FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id`

func scanRefresh(row *sql.Row, digest []byte) (jeton.RefreshToken, jeton.RefreshFamily, error) {
	var t jeton.RefreshToken
	var f jeton.RefreshFamily
	err := row.Scan(
		&t.FamilyID, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
		timeCol{&t.UsedAt}, &t.SuccessorDigest, &f.ID, &f.ClientID, &f.InstitutionID,
		&f.Subject, jsonCol[[]string]{&f.Scope}, timeCol{&f.AuthTime},
		timeCol{&f.CreatedAt}, timeCol{&f.ExpiresAt}, timeCol{&f.RevokedAt},
		rawJSONCol{&f.AuthorizationDetails}, &f.DPoPJKT)
	if err == nil {
		t.Digest = slices.Clone(digest)
	}
	return t, f, err
}

// ClaimRefreshToken is ATOMIC (DESIGN rule 1): the token, its family and the
// family's customer are read and checked (c.Accepts) and the token rotated in one
// IMMEDIATE transaction, and the committer runs one write at a time, so nothing can
// change between the check and the rotation.
func (s *Store) ClaimRefreshToken(ctx context.Context, c jeton.RefreshClaim) (jeton.RefreshToken, jeton.RefreshFamily, time.Time, error) {
	var t jeton.RefreshToken
	var f jeton.RefreshFamily
	var exp time.Time
	where, args := tokenWhere(c.Key)
	err := s.startSingle(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if t, f, err = scanRefresh(s.queryRowTx(ctx, tx, refreshSelect+where, args...), c.Key); err != nil {
			return err
		}
		var cust *jeton.Customer
		if f.Subject != f.ClientID {
			cu, err := scanCustomer(s.queryRowTx(ctx, tx, `SELECT `+customerColumns+` FROM customers
				WHERE institution_id = ? AND id = ?`, f.InstitutionID, f.Subject))
			switch {
			case err == nil:
				cust = &cu
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if !c.Accepts(t, f, cust) {
			return sql.ErrNoRows
		}
		next := c.Next
		next.ExpiresAt = c.NextExpiry(f)
		exp = next.ExpiresAt
		if _, err := s.execTx(ctx, tx, `UPDATE refresh_tokens AS t SET used_at = ?,
			successor_digest = ?`+where, append([]any{c.Now.UnixMicro(), next.Digest}, args...)...); err != nil {
			return err
		}
		if err := s.insertToken(ctx, tx, next); err != nil {
			_, undoErr := s.execTx(ctx, tx, `UPDATE refresh_tokens AS t SET used_at = NULL,
				successor_digest = NULL`+where, args...)
			return errors.Join(err, undoErr)
		}
		return nil
	})()
	return t, f, exp, mapErr("claim refresh token", err)
}

// RotateRefreshToken is ATOMIC (DESIGN rule 1). In one IMMEDIATE transaction the
// conditional UPDATE ... WHERE used_at IS NULL claims oldDigest; only the caller whose
// UPDATE changed a row inserts next. A loser's transaction changes nothing and reports
// ErrAlreadyUsed, or ErrNotFound when no such token exists.
//
// Like CreateRefreshFamily it runs without a savepoint (two statements fewer on every
// refresh): a claim that changed no row has nothing to undo, and if the insert fails
// the claim is undone in the same transaction, setting back the two columns the
// WHERE clause found empty. The committer runs one write at a time and nothing is
// visible before COMMIT, so no one sees the row in between.
func (s *Store) RotateRefreshToken(ctx context.Context, oldDigest []byte, next jeton.RefreshToken, now time.Time) error {
	where, args := tokenWhere(oldDigest)
	err := s.startSingle(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.execTx(ctx, tx, `UPDATE refresh_tokens AS t SET used_at = ?,
			successor_digest = ?`+where+` AND t.used_at IS NULL`,
			append([]any{now.UnixMicro(), next.Digest}, args...)...)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return s.whyNotRotated(ctx, tx, oldDigest)
		}
		if err := s.insertToken(ctx, tx, next); err != nil {
			_, undoErr := s.execTx(ctx, tx, `UPDATE refresh_tokens AS t SET used_at = NULL,
				successor_digest = NULL`+where, args...)
			return errors.Join(err, undoErr)
		}
		return nil
	})()
	return mapErr("rotate refresh token", err)
}

// whyNotRotated tells a used token (ErrAlreadyUsed) from a missing one (no rows).
func (s *Store) whyNotRotated(ctx context.Context, tx *sql.Tx, digest []byte) error {
	var one int
	where, args := tokenWhere(digest)
	err := s.queryRowTx(ctx, tx, `SELECT 1 FROM refresh_tokens t`+where, args...).Scan(&one)
	if err != nil {
		return err
	}
	return jeton.ErrAlreadyUsed
}

// ExtendRefreshToken restarts the idle lifetime of an unused token.
func (s *Store) ExtendRefreshToken(ctx context.Context, digest []byte, expiresAt time.Time) error {
	where, args := tokenWhere(digest)
	res, err := s.exec(ctx, `UPDATE refresh_tokens AS t SET expires_at = ?`+where+` AND t.used_at IS NULL`,
		append([]any{micros(expiresAt)}, args...)...)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("extend refresh token", err)
}

// RevokeRefreshFamily sets RevokedAt on the family unless already set (the first
// revocation time is kept); an unknown family is ErrNotFound.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error {
	res, err := s.exec(ctx, `UPDATE refresh_families
		SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, now.UnixMicro(), familyID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("revoke refresh family", err)
}

// RevokeGrant records r and revokes the family r.ID, inserting tombstone in its place
// when there is none yet, in one transaction of the single writer (see
// jeton.RefreshStore). The tombstone makes the rule a primary-key conflict:
// CreateRefreshFamily stays one plain INSERT, so the hot path pays nothing for it.
func (s *Store) RevokeGrant(ctx context.Context, r jeton.Revocation, tombstone jeton.RefreshFamily) error {
	scope, err := jsonText(tombstone.Scope)
	if err != nil {
		return mapErr("revoke grant", err)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.execTx(ctx, tx, `INSERT INTO revocations (kind, id, institution_id,
			revoked_at, expires_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (kind, id) DO NOTHING`,
			r.Kind, r.ID, r.InstitutionID, micros(r.RevokedAt), micros(r.ExpiresAt))
		if err != nil {
			return err
		}
		_, err = s.execTx(ctx, tx, `INSERT INTO refresh_families (id, client_id,
			institution_id, subject, scope, auth_time, created_at, expires_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE
			SET revoked_at = coalesce(refresh_families.revoked_at, excluded.revoked_at)`,
			r.ID, tombstone.ClientID, tombstone.InstitutionID, tombstone.Subject, scope,
			micros(tombstone.AuthTime), micros(tombstone.CreatedAt),
			micros(tombstone.ExpiresAt), micros(r.RevokedAt))
		return err
	})
	return mapErr("revoke grant", err)
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
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
			institution_id, subject, scope, auth_time, created_at, expires_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, f.ClientID, f.InstitutionID, f.Subject, scope, micros(f.AuthTime),
			micros(f.CreatedAt), micros(f.ExpiresAt), micros(f.RevokedAt))
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

func (s *Store) insertToken(ctx context.Context, tx *sql.Tx, t jeton.RefreshToken) error {
	_, err := s.execTx(ctx, tx, `INSERT INTO refresh_tokens (digest, family_id,
		created_at, expires_at, used_at, successor_digest) VALUES (?, ?, ?, ?, ?, ?)`,
		t.Digest, t.FamilyID, micros(t.CreatedAt), micros(t.ExpiresAt), micros(t.UsedAt),
		blob(t.SuccessorDigest))
	return err
}

// GetRefreshToken returns the token with digest and its family.
func (s *Store) GetRefreshToken(ctx context.Context, digest []byte) (jeton.RefreshToken, jeton.RefreshFamily, error) {
	var t jeton.RefreshToken
	var f jeton.RefreshFamily
	err := s.queryRow(ctx, `SELECT t.digest, t.family_id, t.created_at,
		t.expires_at, t.used_at, t.successor_digest, f.id, f.client_id, f.institution_id,
		f.subject, f.scope, f.auth_time, f.created_at, f.expires_at, f.revoked_at
		FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
		WHERE t.digest = ?`, digest).Scan(
		&t.Digest, &t.FamilyID, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
		timeCol{&t.UsedAt}, &t.SuccessorDigest, &f.ID, &f.ClientID, &f.InstitutionID,
		&f.Subject, jsonCol[[]string]{&f.Scope}, timeCol{&f.AuthTime},
		timeCol{&f.CreatedAt}, timeCol{&f.ExpiresAt}, timeCol{&f.RevokedAt})
	return t, f, mapErr("get refresh token", err)
}

// RotateRefreshToken is ATOMIC (DESIGN rule 1). In one IMMEDIATE transaction the
// conditional UPDATE ... WHERE used_at IS NULL claims oldDigest; only the caller whose
// UPDATE changed a row inserts next. A loser's transaction changes nothing and reports
// ErrAlreadyUsed, or ErrNotFound when no such token exists.
func (s *Store) RotateRefreshToken(ctx context.Context, oldDigest []byte, next jeton.RefreshToken, now time.Time) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.execTx(ctx, tx, `UPDATE refresh_tokens SET used_at = ?,
			successor_digest = ? WHERE digest = ? AND used_at IS NULL`,
			now.UnixMicro(), next.Digest, oldDigest)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return s.whyNotRotated(ctx, tx, oldDigest)
		}
		return s.insertToken(ctx, tx, next)
	})
	return mapErr("rotate refresh token", err)
}

// whyNotRotated tells a used token (ErrAlreadyUsed) from a missing one (no rows).
func (s *Store) whyNotRotated(ctx context.Context, tx *sql.Tx, digest []byte) error {
	var one int
	err := s.queryRowTx(ctx, tx, `SELECT 1 FROM refresh_tokens WHERE digest = ?`, digest).Scan(&one)
	if err != nil {
		return err
	}
	return jeton.ErrAlreadyUsed
}

// ExtendRefreshToken restarts the idle lifetime of an unused token.
func (s *Store) ExtendRefreshToken(ctx context.Context, digest []byte, expiresAt time.Time) error {
	res, err := s.exec(ctx, `UPDATE refresh_tokens SET expires_at = ?
		WHERE digest = ? AND used_at IS NULL`, micros(expiresAt), digest)
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

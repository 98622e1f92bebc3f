package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

// CreateRefreshFamily inserts a family and its first token in one statement (the
// token's INSERT reads the family's from a WITH clause), so one round trip, and a
// conflict on either leaves neither.
func (s *Store) CreateRefreshFamily(ctx context.Context, f jeton.RefreshFamily, first jeton.RefreshToken) error {
	row, err := tokenRow(first)
	if err == nil && first.FamilyID != f.ID {
		err = errors.New("first token of another family")
	}
	if err != nil {
		return mapErr("create refresh family", err)
	}
	_, err = s.pool.Exec(ctx, `WITH f AS (INSERT INTO refresh_families (id, client_id,
			institution_id, subject, scope, auth_time, created_at, expires_at, revoked_at,
			authorization_details, dpop_jkt)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $16, $17) RETURNING id)
		INSERT INTO refresh_tokens (family_id, digest, created_at, expires_at, used_at,
			successor_digest, legacy) SELECT f.id, $10, $11, $12, $13, $14, $15 FROM f`,
		append(append([]any{f.ID, f.ClientID, f.InstitutionID, f.Subject, texts(f.Scope), ts(f.AuthTime),
			ts(f.CreatedAt), ts(f.ExpiresAt), ts(f.RevokedAt)}, row[1:]...), string(f.AuthorizationDetails), f.DPoPJKT)...)
	return mapErr("create refresh family", err)
}

// tokenRow is t as the columns (family_id, digest, created_at, expires_at, used_at,
// successor_digest, legacy) store it (jeton.SplitRefreshKey): a family-prefixed key as
// (family_id, digest), any other key as a legacy row found by its digest.
func tokenRow(t jeton.RefreshToken) ([]any, error) {
	fam, digest, prefixed := jeton.SplitRefreshKey(t.Digest)
	var legacy *bool
	if prefixed {
		if fam != t.FamilyID {
			return nil, errors.New("refresh token key names another family")
		}
	} else {
		yes := true
		legacy = &yes
	}
	return []any{t.FamilyID, digest, ts(t.CreatedAt), ts(t.ExpiresAt), ts(t.UsedAt), t.SuccessorDigest, legacy}, nil
}

// tokenWhere is the WHERE clause that finds the token with key, its parameters
// numbered from $n, and their arguments: by the primary key for a family-prefixed key,
// through the legacy index otherwise (migration 13).
func tokenWhere(key []byte, n int) (string, []any) {
	if fam, digest, prefixed := jeton.SplitRefreshKey(key); prefixed {
		return fmt.Sprintf(` WHERE t.family_id = $%d AND t.digest = $%d`, n, n+1), []any{fam, digest}
	}
	return fmt.Sprintf(` WHERE t.digest = $%d AND t.legacy`, n), []any{key}
}

// GetRefreshToken returns the token with key digest and its family.
func (s *Store) GetRefreshToken(ctx context.Context, digest []byte) (jeton.RefreshToken, jeton.RefreshFamily, error) {
	var t jeton.RefreshToken
	var f jeton.RefreshFamily
	where, args := tokenWhere(digest, 1)
	err := s.pool.QueryRow(ctx, `SELECT t.family_id, t.created_at, t.expires_at,
		t.used_at, t.successor_digest, f.id, f.client_id, f.institution_id, f.subject,
		f.scope, f.auth_time, f.created_at, f.expires_at, f.revoked_at, f.authorization_details, f.dpop_jkt
		FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id`+where, args...).Scan(
		&t.FamilyID, tsCol{&t.CreatedAt}, tsCol{&t.ExpiresAt}, tsCol{&t.UsedAt},
		&t.SuccessorDigest, &f.ID, &f.ClientID, &f.InstitutionID, &f.Subject, &f.Scope,
		tsCol{&f.AuthTime}, tsCol{&f.CreatedAt}, tsCol{&f.ExpiresAt}, tsCol{&f.RevokedAt},
		rawJSONCol{&f.AuthorizationDetails}, &f.DPoPJKT)
	f.Scope = nonNil(f.Scope)
	if err == nil {
		t.Digest = slices.Clone(digest)
	}
	return t, f, mapErr("get refresh token", err)
}

// RotateRefreshToken is ATOMIC (DESIGN rule 1), one statement and one round trip: the
// conditional UPDATE ... WHERE used_at IS NULL in its WITH clause claims oldDigest and
// row-locks it, and the INSERT of next takes a row only from a claim. A concurrent
// caller's UPDATE waits for that lock and, once the winner commits, re-checks the
// condition (READ COMMITTED) and matches nothing, so it inserts nothing; a failed
// insert undoes the claim with the statement. A loser gets ErrAlreadyUsed, or
// ErrNotFound when no such token exists.
func (s *Store) RotateRefreshToken(ctx context.Context, oldDigest []byte, next jeton.RefreshToken, now time.Time) error {
	row, err := tokenRow(next)
	if err != nil {
		return mapErr("rotate refresh token", err)
	}
	where, args := tokenWhere(oldDigest, 10)
	tag, err := s.pool.Exec(ctx, `WITH old AS (UPDATE refresh_tokens t SET used_at = $1,
			successor_digest = $2`+where+` AND t.used_at IS NULL RETURNING 1)
		INSERT INTO refresh_tokens (family_id, digest, created_at, expires_at, used_at,
			successor_digest, legacy) SELECT $3, $4, $5, $6, $7, $8, $9 FROM old`,
		append(append([]any{now, next.Digest}, row...), args...)...)
	if err == nil && tag.RowsAffected() == 0 {
		err = s.whyNotRotated(ctx, oldDigest)
	}
	return mapErr("rotate refresh token", err)
}

// whyNotRotated tells a used token (ErrAlreadyUsed) from a missing one (no rows).
func (s *Store) whyNotRotated(ctx context.Context, digest []byte) error {
	var one int
	where, args := tokenWhere(digest, 1)
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM refresh_tokens t`+where, args...).Scan(&one)
	if err != nil {
		return err
	}
	return jeton.ErrAlreadyUsed
}

// ExtendRefreshToken restarts the idle lifetime of an unused token.
func (s *Store) ExtendRefreshToken(ctx context.Context, digest []byte, expiresAt time.Time) error {
	where, args := tokenWhere(digest, 2)
	tag, err := s.pool.Exec(ctx, `UPDATE refresh_tokens t SET expires_at = $1`+where+` AND t.used_at IS NULL`,
		append([]any{expiresAt}, args...)...)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("extend refresh token", err)
}

// RevokeRefreshFamily sets RevokedAt on the family unless already set (the first
// revocation time is kept); an unknown family is ErrNotFound.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE refresh_families
		SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, now, familyID)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("revoke refresh family", err)
}

// RevokeGrant records r and revokes the family r.ID, inserting tombstone in its place
// when there is none yet, in one transaction (see jeton.RefreshStore). The rule is a
// primary-key conflict, so it holds across replicas: when an exchange's family insert
// and the tombstone race, the second of the two waits on the first's index entry; then
// either the insert fails (unique violation, ErrConflict) or the upsert revokes the
// family the exchange just committed. CreateRefreshFamily stays one plain INSERT.
func (s *Store) RevokeGrant(ctx context.Context, r jeton.Revocation, tombstone jeton.RefreshFamily) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO revocations (kind, id, institution_id,
			revoked_at, expires_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (kind, id) DO NOTHING`,
			r.Kind, r.ID, r.InstitutionID, ts(r.RevokedAt), ts(r.ExpiresAt))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO refresh_families (id, client_id, institution_id,
			subject, scope, auth_time, created_at, expires_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE
			SET revoked_at = coalesce(refresh_families.revoked_at, excluded.revoked_at)`,
			r.ID, tombstone.ClientID, tombstone.InstitutionID, tombstone.Subject,
			texts(tombstone.Scope), ts(tombstone.AuthTime), ts(tombstone.CreatedAt),
			ts(tombstone.ExpiresAt), ts(r.RevokedAt))
		return err
	})
	return mapErr("revoke grant", err)
}

// ClaimRefreshToken is ATOMIC (DESIGN rule 1), one statement and one round trip: the
// UPDATE in its WITH clause claims the token only where c.Accepts holds, every
// condition in its WHERE clause (the token unused and live, its family live, the
// client's and of an institution it acts for, the scope within the family's, the
// customer active and unlocked), and the INSERT of the successor takes a row only from
// a claim. Concurrent claims serialize on the token's row lock, and READ COMMITTED
// re-checks used_at IS NULL for the loser, which then claims nothing.
func (s *Store) ClaimRefreshToken(ctx context.Context, c jeton.RefreshClaim) (jeton.RefreshToken, jeton.RefreshFamily, time.Time, error) {
	var t jeton.RefreshToken
	var f jeton.RefreshFamily
	var exp time.Time
	row, err := tokenRow(c.Next)
	if err != nil {
		return t, f, exp, mapErr("claim refresh token", err)
	}
	where, args := tokenWhere(c.Key, 12)
	err = s.pool.QueryRow(ctx, `WITH claimed AS (UPDATE refresh_tokens t SET used_at = $1,
			successor_digest = $2 FROM refresh_families f`+where+` AND t.used_at IS NULL
			AND t.expires_at > $1 AND f.id = t.family_id AND f.revoked_at IS NULL
			AND f.expires_at > $1 AND f.client_id = $3 AND f.institution_id = ANY($4::text[])
			AND f.scope @> $5::text[] AND t.family_id = $9 AND f.dpop_jkt IN ('', $11)
			AND (f.subject = f.client_id OR EXISTS (SELECT 1 FROM customers c
				WHERE c.institution_id = f.institution_id AND c.id = f.subject
				AND c.status = 'active' AND (c.locked_until IS NULL OR c.locked_until <= $1)))
			RETURNING t.family_id, t.created_at, t.expires_at, f.id, f.client_id,
				f.institution_id, f.subject, f.scope, f.auth_time, f.created_at,
				f.expires_at, f.revoked_at, f.authorization_details, f.dpop_jkt,
				LEAST($6::timestamptz, f.expires_at) AS next_exp),
		ins AS (INSERT INTO refresh_tokens (family_id, digest, created_at, expires_at,
			legacy) SELECT $9, $8, $7, next_exp, $10 FROM claimed)
		SELECT * FROM claimed`,
		append([]any{ts(c.Now), c.Next.Digest, c.ClientID, texts(c.Institutions), texts(c.Scope),
			ts(c.Next.ExpiresAt), row[2], row[1], row[0], row[6], c.JKT}, args...)...).Scan(
		&t.FamilyID, tsCol{&t.CreatedAt}, tsCol{&t.ExpiresAt}, &f.ID, &f.ClientID,
		&f.InstitutionID, &f.Subject, &f.Scope, tsCol{&f.AuthTime}, tsCol{&f.CreatedAt},
		tsCol{&f.ExpiresAt}, tsCol{&f.RevokedAt}, rawJSONCol{&f.AuthorizationDetails}, &f.DPoPJKT, tsCol{&exp})
	f.Scope = nonNil(f.Scope)
	if err == nil {
		t.Digest = slices.Clone(c.Key)
	}
	return t, f, exp, mapErr("claim refresh token", err)
}

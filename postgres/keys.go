package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

const keyColumns = `id, alg, public_der, private_sealed, created_at, active_at, retired_at, unpublish_at`

// ListSigningKeys returns every stored key, oldest (CreatedAt, then ID) first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]jeton.SigningKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr("list signing keys", err)
	}
	out, err := pgx.CollectRows(rows, rowTo(scanKey))
	return out, mapErr("list signing keys", err)
}

// AddSigningKey is ATOMIC (DESIGN rule 1): one transaction retires the current key of
// next.Alg and inserts next. A row lock on the current key would not serialise two
// rotations when no key exists yet (there is no row to lock), so the transaction first
// takes a SHARE ROW EXCLUSIVE table lock: it conflicts with itself, so rotations on
// every replica run one after the other, but not with readers (JWKS, signing), which
// keep going. Rotations are rare; the partial unique index signing_keys_one_current
// backs up the one-current-key invariant.
func (s *Store) AddSigningKey(ctx context.Context, next jeton.SigningKey, unpublishAt time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $1, unpublish_at = $2
			WHERE alg = $3 AND retired_at IS NULL`,
			ts(next.ActiveAt), ts(unpublishAt), next.Alg)
		if err != nil {
			return err
		}
		return insertKey(ctx, tx, next)
	})
	return mapErr("add signing key", err)
}

// AddFirstSigningKey inserts k unless a current key of k.Alg exists (ErrConflict), in
// one statement (DESIGN rule 1): the partial unique index signing_keys_one_current
// refuses a second current key of an alg, and a racing insert waits for the first to
// commit before it is refused. Its ROW EXCLUSIVE lock waits for AddSigningKey's table
// lock, so it never interleaves with a rotation.
//
// Like every key insert it NOTIFYs the key's listeners (insertKey).
func (s *Store) AddFirstSigningKey(ctx context.Context, k jeton.SigningKey) error {
	return mapErr("add first signing key", insertKey(ctx, s.pool, k))
}

// ReplaceSigningKey retires predecessorID, inserts next and appends ev in one
// transaction (DESIGN rule 1), only while predecessorID is the current key of
// next.Alg. The retiring UPDATE is conditional on retired_at IS NULL and locks the
// row: a concurrent replacement of the same key waits for this transaction, then
// re-checks the condition on the committed row (READ COMMITTED), finds it retired and
// updates nothing, so it answers ErrConflict and rolls back. A manual rotation
// (AddSigningKey's table lock) and this one exclude each other the same way.
func (s *Store) ReplaceSigningKey(ctx context.Context, predecessorID string, next jeton.SigningKey, unpublishAt time.Time, ev jeton.AuditEvent) error {
	err := s.audited(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $1, unpublish_at = $2
			WHERE id = $3 AND alg = $4 AND retired_at IS NULL`,
			ts(next.ActiveAt), ts(unpublishAt), predecessorID, next.Alg)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return jeton.ErrConflict
		}
		return insertKey(ctx, tx, next)
	})
	return mapErr("replace signing key", err)
}

// insertKey inserts k and, in the same statement, NOTIFYs the listeners of key changes
// (ListenKeyChanges) with its kid. PostgreSQL delivers a notification when the
// transaction commits, so a replica that reloads on it finds the row; an insert that
// fails announces nothing.
func insertKey(ctx context.Context, db execer, k jeton.SigningKey) error {
	_, err := db.Exec(ctx, `WITH added AS (
			INSERT INTO signing_keys (`+keyColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id)
		SELECT pg_notify($9, id) FROM added`,
		k.ID, k.Alg, k.PublicDER, k.PrivateSealed, ts(k.CreatedAt),
		ts(k.ActiveAt), ts(k.RetiredAt), ts(k.UnpublishAt), keyChannel)
	return err
}

// DeleteSigningKeys removes keys whose UnpublishAt is set and before now.
func (s *Store) DeleteSigningKeys(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx,
		`DELETE FROM signing_keys WHERE unpublish_at IS NOT NULL AND unpublish_at < $1`, now)
	if err != nil {
		return 0, mapErr("delete signing keys", err)
	}
	return int(tag.RowsAffected()), nil
}

func scanKey(r pgx.Row) (jeton.SigningKey, error) {
	var k jeton.SigningKey
	err := r.Scan(&k.ID, &k.Alg, &k.PublicDER, &k.PrivateSealed, tsCol{&k.CreatedAt},
		tsCol{&k.ActiveAt}, tsCol{&k.RetiredAt}, tsCol{&k.UnpublishAt})
	return k, err
}

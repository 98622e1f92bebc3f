package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/jeton/jeton"
)

const keyColumns = `id, alg, public_der, private_sealed, created_at, active_at, retired_at, unpublish_at`

// ListSigningKeys returns every stored key, oldest (CreatedAt, then ID) first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]jeton.SigningKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+keyColumns+` FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr("list signing keys", err)
	}
	out, err := collect(rows, scanKey)
	return out, mapErr("list signing keys", err)
}

// AddSigningKey retires the current key of next.Alg and inserts next in one IMMEDIATE
// transaction (DESIGN rule 1): the write lock is held from the retiring UPDATE on, so
// concurrent rotations of one alg run one after the other and leave exactly one
// current key. The partial unique index signing_keys_one_current backs that up.
func (s *Store) AddSigningKey(ctx context.Context, next jeton.SigningKey, unpublishAt time.Time) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.execTx(ctx, tx, `UPDATE signing_keys SET retired_at = ?, unpublish_at = ?
			WHERE alg = ? AND retired_at IS NULL`,
			micros(next.ActiveAt), micros(unpublishAt), next.Alg)
		if err != nil {
			return err
		}
		return s.insertKey(ctx, tx, next)
	})
	return mapErr("add signing key", err)
}

// AddFirstSigningKey inserts k unless a current key of k.Alg exists (ErrConflict), in
// one statement (DESIGN rule 1): the partial unique index signing_keys_one_current
// refuses a second current key of an alg.
func (s *Store) AddFirstSigningKey(ctx context.Context, k jeton.SigningKey) error {
	_, err := s.exec(ctx, `INSERT INTO signing_keys (`+keyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Alg, k.PublicDER, k.PrivateSealed, micros(k.CreatedAt),
		micros(k.ActiveAt), micros(k.RetiredAt), micros(k.UnpublishAt))
	return mapErr("add first signing key", err)
}

// ReplaceSigningKey retires predecessorID, inserts next and appends ev in one
// IMMEDIATE transaction (DESIGN rule 1), only while predecessorID is the current key
// of next.Alg: the retiring UPDATE is conditional on retired_at IS NULL, and the
// write lock, held from that statement to the commit, makes every other rotation of
// this or another process see its outcome. No row retired means another rotation
// came first: ErrConflict, and the transaction is rolled back.
func (s *Store) ReplaceSigningKey(ctx context.Context, predecessorID string, next jeton.SigningKey, unpublishAt time.Time, ev jeton.AuditEvent) error {
	err := s.audited(ctx, ev, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.execTx(ctx, tx, `UPDATE signing_keys SET retired_at = ?, unpublish_at = ?
			WHERE id = ? AND alg = ? AND retired_at IS NULL`,
			micros(next.ActiveAt), micros(unpublishAt), predecessorID, next.Alg)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, jeton.ErrConflict)
		}
		return s.insertKey(ctx, tx, next)
	})
	return mapErr("replace signing key", err)
}

func (s *Store) insertKey(ctx context.Context, tx *sql.Tx, k jeton.SigningKey) error {
	_, err := s.execTx(ctx, tx, `INSERT INTO signing_keys (`+keyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Alg, k.PublicDER, k.PrivateSealed, micros(k.CreatedAt),
		micros(k.ActiveAt), micros(k.RetiredAt), micros(k.UnpublishAt))
	return err
}

// DeleteSigningKeys removes keys whose UnpublishAt is set and before now.
func (s *Store) DeleteSigningKeys(ctx context.Context, now time.Time) (int, error) {
	res, err := s.exec(ctx,
		`DELETE FROM signing_keys WHERE unpublish_at IS NOT NULL AND unpublish_at < ?`, now.UnixMicro())
	if err != nil {
		return 0, mapErr("delete signing keys", err)
	}
	n, err := res.RowsAffected()
	return int(n), mapErr("delete signing keys", err)
}

func scanKey(r scanner) (jeton.SigningKey, error) {
	var k jeton.SigningKey
	err := r.Scan(&k.ID, &k.Alg, &k.PublicDER, &k.PrivateSealed, timeCol{&k.CreatedAt},
		timeCol{&k.ActiveAt}, timeCol{&k.RetiredAt}, timeCol{&k.UnpublishAt})
	return k, err
}

package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/jeton/jeton"
)

// ReportKEKHolder upserts h and forgets holders not seen since forgetBefore, in one
// transaction.
func (s *Store) ReportKEKHolder(ctx context.Context, h jeton.KEKHolder, forgetBefore time.Time) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := s.execTx(ctx, tx, `DELETE FROM kek_holders WHERE seen_at < ?`, forgetBefore.UnixMicro()); err != nil {
			return err
		}
		_, err := s.execTx(ctx, tx, `INSERT INTO kek_holders (holder, kek_ids, seen_at) VALUES (?, ?, ?)
			ON CONFLICT (holder) DO UPDATE SET kek_ids = excluded.kek_ids, seen_at = excluded.seen_at`,
			h.ID, strings.Join(h.KEKIDs, ","), h.SeenAt.UnixMicro())
		return err
	})
	return mapErr("report KEK holder", err)
}

// ListKEKHolders returns the holders seen at or after since, most recent first.
func (s *Store) ListKEKHolders(ctx context.Context, since time.Time) ([]jeton.KEKHolder, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT holder, kek_ids, seen_at FROM kek_holders
		WHERE seen_at >= ? ORDER BY seen_at DESC, holder`, since.UnixMicro())
	if err != nil {
		return nil, mapErr("list KEK holders", err)
	}
	out, err := collect(rows, func(r scanner) (jeton.KEKHolder, error) {
		var h jeton.KEKHolder
		var ids string
		err := r.Scan(&h.ID, &ids, timeCol{&h.SeenAt})
		h.KEKIDs = strings.Split(ids, ",")
		return h, err
	})
	return out, mapErr("list KEK holders", err)
}

// RemoveKEKHolder deletes the row of id.
func (s *Store) RemoveKEKHolder(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `DELETE FROM kek_holders WHERE holder = ?`, id)
	return mapErr("remove KEK holder", err)
}

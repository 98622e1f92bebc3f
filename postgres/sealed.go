package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton"
)

// sealedColumn is the table and column of each jeton.SealedKind; both are constants,
// never input, so they may be spliced into the SQL.
func sealedColumn(kind jeton.SealedKind) (table, column string, err error) {
	switch kind {
	case jeton.SealedSigningKey:
		return "signing_keys", "private_sealed", nil
	case jeton.SealedClientSecret:
		return "clients", "secret_sealed", nil
	case jeton.SealedPreviousClientSecret:
		return "clients", "previous_secret_sealed", nil
	case jeton.SealedConsoleTOTP:
		return "console_users", "totp_sealed", nil
	}
	return "", "", fmt.Errorf("unknown sealed kind %q", kind)
}

// ListSealed returns a page of non-empty values of kind, by row id.
func (s *Store) ListSealed(ctx context.Context, kind jeton.SealedKind, after string, limit int) ([]jeton.SealedValue, error) {
	table, column, err := sealedColumn(kind)
	if err != nil {
		return nil, mapErr("list sealed", err)
	}
	// The comparison and the order use the same collation, so pages neither overlap
	// nor skip a row, and both use the primary key's index.
	rows, err := s.pool.Query(ctx, `SELECT id, `+column+` FROM `+table+`
		WHERE id > $1 AND octet_length(`+column+`) > 0 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, mapErr("list sealed", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jeton.SealedValue, error) {
		v := jeton.SealedValue{Kind: kind}
		return v, r.Scan(&v.ID, &v.Sealed)
	})
	return out, mapErr("list sealed", err)
}

// ReplaceSealed is one conditional UPDATE: the value changes only if it still holds
// old, compared byte for byte (DESIGN rule 1). A concurrent write to the row waits
// for, or is waited for by, this one, and the loser's condition is re-checked on the
// committed row.
func (s *Store) ReplaceSealed(ctx context.Context, kind jeton.SealedKind, id string, old, next []byte) error {
	table, column, err := sealedColumn(kind)
	if err != nil {
		return mapErr("replace sealed", err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE `+table+` SET `+column+` = $1 WHERE id = $2 AND `+column+` = $3`, next, id, old)
	if err != nil {
		return mapErr("replace sealed", err)
	}
	if tag.RowsAffected() == 0 {
		return mapErr("replace sealed", jeton.ErrConflict)
	}
	return nil
}

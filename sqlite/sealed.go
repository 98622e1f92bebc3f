package sqlite

import (
	"context"
	"fmt"

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
	rows, err := s.read.QueryContext(ctx, `SELECT id, `+column+` FROM `+table+`
		WHERE id > ? AND length(`+column+`) > 0 ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, mapErr("list sealed", err)
	}
	out, err := collect(rows, func(r scanner) (jeton.SealedValue, error) {
		v := jeton.SealedValue{Kind: kind}
		return v, r.Scan(&v.ID, &v.Sealed)
	})
	return out, mapErr("list sealed", err)
}

// ReplaceSealed is one conditional UPDATE: the value changes only if it still holds
// old, compared byte for byte (DESIGN rule 1).
func (s *Store) ReplaceSealed(ctx context.Context, kind jeton.SealedKind, id string, old, next []byte) error {
	table, column, err := sealedColumn(kind)
	if err != nil {
		return mapErr("replace sealed", err)
	}
	res, err := s.exec(ctx, `UPDATE `+table+` SET `+column+` = ? WHERE id = ? AND `+column+` = ?`, blob(next), id, blob(old))
	if err != nil {
		return mapErr("replace sealed", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return mapErr("replace sealed", cmpErr(err, jeton.ErrConflict))
	}
	return nil
}

// cmpErr is err, or fallback when err is nil.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

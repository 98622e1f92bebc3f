package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jeton/jeton"
)

// Column encodings, one place for all tables:
//   - time.Time: timestamptz; the zero time is NULL; read back in UTC.
//   - time.Duration: bigint nanoseconds.
//   - []string: text[], never NULL; other slices and maps: jsonb. Read back, nil
//     becomes empty (never nil), as storetest requires.

// ts encodes t for a timestamptz column: nil (NULL) for the zero time.
func ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// tsCol scans a nullable timestamptz column into *t.
type tsCol struct{ t *time.Time }

// ScanTimestamptz implements pgtype.TimestamptzScanner.
func (c tsCol) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid || v.InfinityModifier != pgtype.Finite {
		*c.t = time.Time{}
		return nil
	}
	*c.t = v.Time.UTC()
	return nil
}

// durCol scans a bigint-nanoseconds column into *d.
func durCol(d *time.Duration) *int64 { return (*int64)(d) }

// texts encodes a string list for a NOT NULL text[] column (pgx sends a nil slice as
// NULL).
func texts(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsonb encodes v as JSON text for a jsonb column; a nil slice or map is stored as an
// empty one rather than JSON null, given by empty.
func jsonb(v any, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty, err
	}
	return string(b), nil
}

// nonNil returns s, or an empty slice when s is nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nonNilMap returns m, or an empty map when m is nil.
func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

// mapErr wraps err with op and maps it onto the jeton store errors: no rows is
// ErrNotFound, a unique violation (SQLSTATE 23505) ErrConflict, and a foreign-key
// violation (23503) ErrNotFound (the row it refers to does not exist).
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, jeton.ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("postgres: %s: %w (%v)", op, jeton.ErrConflict, err)
		case "23503":
			return fmt.Errorf("postgres: %s: referenced row: %w (%v)", op, jeton.ErrNotFound, err)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// mustAffect turns a command that matched no row into pgx.ErrNoRows.
func mustAffect(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return pgx.ErrNoRows
	}
	return nil
}

// rawJSONCol scans a text column holding a JSON document as the store received it
// (empty for none) into *p: nil when empty, else a copy of the bytes. Text, not jsonb:
// jsonb would reorder the document, and callers compare what they stored.
type rawJSONCol struct{ p *json.RawMessage }

func (c rawJSONCol) Scan(src any) error {
	*c.p = nil
	switch v := src.(type) {
	case nil:
	case string:
		if v != "" {
			*c.p = json.RawMessage(v)
		}
	case []byte:
		if len(v) > 0 {
			*c.p = append(json.RawMessage(nil), v...)
		}
	default:
		return fmt.Errorf("JSON column holds %T, want text", src)
	}
	return nil
}

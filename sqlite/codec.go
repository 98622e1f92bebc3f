package sqlite

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jeton/jeton"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Column encodings, one place for all tables:
//   - time.Time: INTEGER unix microseconds (UTC, what PostgreSQL keeps too); the zero
//     time is NULL.
//   - time.Duration: INTEGER nanoseconds.
//   - slices and maps: JSON text; read back, nil becomes empty (never nil).

// micros encodes t for a time column.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol scans a time column into *t.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("time column holds %T, want integer", src)
	}
	return nil
}

// durCol scans an integer-nanoseconds column into *d.
func durCol(d *time.Duration) *int64 { return (*int64)(d) }

// jsonText encodes v for a JSON text column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// jsonCol scans a JSON text column into *p; a NULL, JSON null or nil result becomes an
// empty slice or map so that callers never see nil (storetest checks this).
type jsonCol[T any] struct{ p *T }

func (c jsonCol[T]) Scan(src any) error {
	var zero T
	*c.p = zero
	var b []byte
	switch v := src.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("JSON column holds %T, want text", src)
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, c.p); err != nil {
			return err
		}
	}
	v := reflect.ValueOf(c.p).Elem()
	switch {
	case v.Kind() == reflect.Slice && v.IsNil():
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	case v.Kind() == reflect.Map && v.IsNil():
		v.Set(reflect.MakeMap(v.Type()))
	}
	return nil
}

// blob encodes b for a BLOB column; empty is NULL, and NULL scans back as nil.
func blob(b []byte) driver.Value {
	if len(b) == 0 {
		return nil
	}
	return b
}

// mapErr wraps err with op and maps it onto the jeton store errors: no rows is
// ErrNotFound, a unique or primary-key violation ErrConflict, and a foreign-key
// violation ErrNotFound (the row it refers to does not exist).
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, jeton.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("sqlite: %s: %w (%v)", op, jeton.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: referenced row: %w (%v)", op, jeton.ErrNotFound, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// mustAffect turns an UPDATE that matched no row into ErrNotFound.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// rawJSONCol scans a text column holding a JSON document as the store received it
// (empty for none) into *p: nil when empty, else a copy of the bytes.
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

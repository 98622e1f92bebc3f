package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/jeton/jeton"
)

const customerColumns = `id, institution_id, username, password_hash, claims, status,
	failed_attempts, locked_until, created_at, updated_at, failure_window_start`

// CreateCustomer inserts an end user; a duplicate id, or a username already taken in
// the same institution, is ErrConflict.
func (s *Store) CreateCustomer(ctx context.Context, c jeton.Customer) error {
	claims, err := jsonText(c.Claims)
	if err != nil {
		return mapErr("create customer", err)
	}
	_, err = s.exec(ctx, `INSERT INTO customers (`+customerColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.InstitutionID, c.Username, c.PasswordHash, claims, c.Status,
		c.FailedAttempts, micros(c.LockedUntil), micros(c.CreatedAt), micros(c.UpdatedAt),
		micros(c.FailureWindowStart))
	return mapErr("create customer", err)
}

// GetCustomer returns customer id of institutionID; another tenant's row is
// ErrNotFound.
func (s *Store) GetCustomer(ctx context.Context, institutionID, id string) (jeton.Customer, error) {
	row := s.queryRow(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE institution_id = ? AND id = ?`, institutionID, id)
	c, err := scanCustomer(row)
	return c, mapErr("get customer", err)
}

// GetCustomerByUsername returns the customer with username in institutionID.
func (s *Store) GetCustomerByUsername(ctx context.Context, institutionID, username string) (jeton.Customer, error) {
	row := s.queryRow(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE institution_id = ? AND username = ?`, institutionID, username)
	c, err := scanCustomer(row)
	return c, mapErr("get customer by username", err)
}

// ListCustomers returns institutionID's customers by CreatedAt, then ID.
func (s *Store) ListCustomers(ctx context.Context, institutionID string) ([]jeton.Customer, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE institution_id = ? ORDER BY created_at, id`, institutionID)
	if err != nil {
		return nil, mapErr("list customers", err)
	}
	out, err := collect(rows, scanCustomer)
	return out, mapErr("list customers", err)
}

// UpdateCustomer replaces the mutable fields of c.ID, scoped to c.InstitutionID: with
// the wrong institution nothing matches and the result is ErrNotFound.
func (s *Store) UpdateCustomer(ctx context.Context, c jeton.Customer) error {
	claims, err := jsonText(c.Claims)
	if err != nil {
		return mapErr("update customer", err)
	}
	res, err := s.exec(ctx, `UPDATE customers SET username = ?,
		password_hash = ?, claims = ?, status = ?, failed_attempts = ?, locked_until = ?,
		updated_at = ?, failure_window_start = ?
		WHERE institution_id = ? AND id = ?`,
		c.Username, c.PasswordHash, claims, c.Status, c.FailedAttempts,
		micros(c.LockedUntil), micros(c.UpdatedAt), micros(c.FailureWindowStart),
		c.InstitutionID, c.ID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("update customer", err)
}

func scanCustomer(r scanner) (jeton.Customer, error) {
	var c jeton.Customer
	err := r.Scan(&c.ID, &c.InstitutionID, &c.Username, &c.PasswordHash,
		jsonCol[map[string]any]{&c.Claims}, &c.Status, &c.FailedAttempts,
		timeCol{&c.LockedUntil}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt},
		timeCol{&c.FailureWindowStart})
	return c, err
}

// RecordLoginFailure is ATOMIC (DESIGN rule 1): one UPDATE ... RETURNING counts the
// failure against the row's current values, so N concurrent failures count N. Every SET
// expression sees the old row: "fresh" is whether the current run of failures is still
// within the window, and "count" the run's length including this failure.
func (s *Store) RecordLoginFailure(ctx context.Context, institutionID, id string, now time.Time, p jeton.LockoutPolicy) (jeton.Customer, error) {
	const fresh = `(failure_window_start IS NOT NULL AND failure_window_start > ?1)`
	const count = `(CASE WHEN ` + fresh + ` THEN failed_attempts + 1 ELSE 1 END)`
	var c jeton.Customer
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		c, err = scanCustomer(s.queryRowTx(ctx, tx, `UPDATE customers SET
		locked_until = CASE WHEN `+count+` >= ?2 THEN ?3 ELSE locked_until END,
		failure_window_start = CASE WHEN `+count+` >= ?2 THEN NULL
			WHEN `+fresh+` THEN failure_window_start ELSE ?4 END,
		failed_attempts = CASE WHEN `+count+` >= ?2 THEN 0 ELSE `+count+` END
		WHERE institution_id = ?5 AND id = ?6
		RETURNING `+customerColumns,
			now.Add(-p.Window).UnixMicro(), p.MaxFailures, now.Add(p.Cooldown).UnixMicro(),
			now.UnixMicro(), institutionID, id))
		return err
	})
	return c, mapErr("record login failure", err)
}

// ClearLoginFailures resets the failure run and any lock.
func (s *Store) ClearLoginFailures(ctx context.Context, institutionID, id string) error {
	res, err := s.exec(ctx, `UPDATE customers SET failed_attempts = 0,
		failure_window_start = NULL, locked_until = NULL
		WHERE institution_id = ? AND id = ?`, institutionID, id)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("clear login failures", err)
}

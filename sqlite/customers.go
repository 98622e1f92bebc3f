package sqlite

import (
	"context"

	"github.com/jeton/jeton"
)

const customerColumns = `id, institution_id, username, password_hash, claims, status,
	failed_attempts, locked_until, created_at, updated_at, failure_window_start,
	attempts_in_flight`

// CreateCustomer inserts an end user; a duplicate id, or a username already taken in
// the same institution, is ErrConflict.
func (s *Store) CreateCustomer(ctx context.Context, c jeton.Customer) error {
	return s.do(ctx, "create customer", s.insertCustomer(c))
}

// CreateCustomerAudited is CreateCustomer and AppendAudit(ev), both or neither.
func (s *Store) CreateCustomerAudited(ctx context.Context, c jeton.Customer, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "create customer", ev, s.insertCustomer(c))
}

func (s *Store) insertCustomer(c jeton.Customer) write {
	claims, err := jsonText(c.Claims)
	if err != nil {
		return failed(err)
	}
	return s.statement(false, `INSERT INTO customers (`+customerColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.InstitutionID, c.Username, c.PasswordHash, claims, c.Status,
		c.FailedAttempts, micros(c.LockedUntil), micros(c.CreatedAt), micros(c.UpdatedAt),
		micros(c.FailureWindowStart), c.AttemptsInFlight)
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

// SearchCustomers pages through institutionID's customers by username along the
// (institution_id, username) unique index; the prefix is a range of that index (BINARY
// collation: every name starting with prefix sorts in [prefix, prefix+U+10FFFF)).
func (s *Store) SearchCustomers(ctx context.Context, institutionID, prefix, after string, limit int) ([]jeton.Customer, error) {
	// One lower bound, so the planner seeks to it: past the cursor, or from the prefix.
	lower, lo := `username >= ?2`, prefix
	if after >= prefix {
		lower, lo = `username > ?2`, after
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE institution_id = ?1 AND `+lower+` AND username < ?3
		ORDER BY username LIMIT ?4`, institutionID, lo, prefix+"\U0010FFFF", limit)
	if err != nil {
		return nil, mapErr("search customers", err)
	}
	out, err := collect(rows, scanCustomer)
	return out, mapErr("search customers", err)
}

// UpdateCustomer replaces the mutable fields of c.ID, scoped to c.InstitutionID: with
// the wrong institution nothing matches and the result is ErrNotFound.
func (s *Store) UpdateCustomer(ctx context.Context, c jeton.Customer) error {
	return s.do(ctx, "update customer", s.updateCustomer(c))
}

// UpdateCustomerAudited is UpdateCustomer and AppendAudit(ev), both or neither.
func (s *Store) UpdateCustomerAudited(ctx context.Context, c jeton.Customer, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "update customer", ev, s.updateCustomer(c))
}

func (s *Store) updateCustomer(c jeton.Customer) write {
	claims, err := jsonText(c.Claims)
	if err != nil {
		return failed(err)
	}
	return s.statement(true, `UPDATE customers SET username = ?,
		password_hash = ?, claims = ?, status = ?, failed_attempts = ?, locked_until = ?,
		updated_at = ?, failure_window_start = ?
		WHERE institution_id = ? AND id = ?`,
		c.Username, c.PasswordHash, claims, c.Status, c.FailedAttempts,
		micros(c.LockedUntil), micros(c.UpdatedAt), micros(c.FailureWindowStart),
		c.InstitutionID, c.ID)
}

func scanCustomer(r scanner) (jeton.Customer, error) {
	var c jeton.Customer
	err := r.Scan(&c.ID, &c.InstitutionID, &c.Username, &c.PasswordHash,
		jsonCol[map[string]any]{&c.Claims}, &c.Status, &c.FailedAttempts,
		timeCol{&c.LockedUntil}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt},
		timeCol{&c.FailureWindowStart}, &c.AttemptsInFlight)
	return c, err
}

package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

const customerColumns = `id, institution_id, username, password_hash, claims, status,
	failed_attempts, locked_until, created_at, updated_at, failure_window_start,
	attempts_in_flight`

// CreateCustomer inserts an end user; a duplicate id, or a username already taken in
// the same institution, is ErrConflict.
func (s *Store) CreateCustomer(ctx context.Context, c jeton.Customer) error {
	return s.do(ctx, "create customer", insertCustomer(c))
}

// CreateCustomerAudited is CreateCustomer and AppendAudit(ev), both or neither.
func (s *Store) CreateCustomerAudited(ctx context.Context, c jeton.Customer, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "create customer", ev, insertCustomer(c))
}

func insertCustomer(c jeton.Customer) write {
	claims, err := jsonb(c.Claims, "{}")
	if err != nil {
		return failed(err)
	}
	return statement(false, `INSERT INTO customers (`+customerColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.InstitutionID, c.Username, c.PasswordHash, claims, c.Status,
		c.FailedAttempts, ts(c.LockedUntil), ts(c.CreatedAt), ts(c.UpdatedAt),
		ts(c.FailureWindowStart), c.AttemptsInFlight)
}

// GetCustomer returns customer id of institutionID; another tenant's row is
// ErrNotFound.
func (s *Store) GetCustomer(ctx context.Context, institutionID, id string) (jeton.Customer, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE institution_id = $1 AND id = $2`, institutionID, id)
	c, err := scanCustomer(row)
	return c, mapErr("get customer", err)
}

// GetCustomerByUsername returns the customer with username in institutionID.
func (s *Store) GetCustomerByUsername(ctx context.Context, institutionID, username string) (jeton.Customer, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE institution_id = $1 AND username = $2`, institutionID, username)
	c, err := scanCustomer(row)
	return c, mapErr("get customer by username", err)
}

// ListCustomers returns institutionID's customers by CreatedAt, then ID.
func (s *Store) ListCustomers(ctx context.Context, institutionID string) ([]jeton.Customer, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE institution_id = $1 ORDER BY created_at, id`, institutionID)
	if err != nil {
		return nil, mapErr("list customers", err)
	}
	out, err := pgx.CollectRows(rows, rowTo(scanCustomer))
	return out, mapErr("list customers", err)
}

// SearchCustomers pages through institutionID's customers by username along the
// (institution_id, username) unique index.
func (s *Store) SearchCustomers(ctx context.Context, institutionID, prefix, after string, limit int) ([]jeton.Customer, error) {
	// PostgreSQL keeps the stronger of the two lower bounds when it seeks the index.
	rows, err := s.pool.Query(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE institution_id = $1 AND username > $2 AND username >= $3 AND starts_with(username, $3)
		ORDER BY username LIMIT $4`, institutionID, after, prefix, limit)
	if err != nil {
		return nil, mapErr("search customers", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jeton.Customer, error) { return scanCustomer(r) })
	return out, mapErr("search customers", err)
}

// UpdateCustomer replaces the mutable fields of c.ID, scoped to c.InstitutionID: with
// the wrong institution nothing matches and the result is ErrNotFound.
func (s *Store) UpdateCustomer(ctx context.Context, c jeton.Customer) error {
	return s.do(ctx, "update customer", updateCustomer(c))
}

// UpdateCustomerAudited is UpdateCustomer and AppendAudit(ev), both or neither.
func (s *Store) UpdateCustomerAudited(ctx context.Context, c jeton.Customer, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "update customer", ev, updateCustomer(c))
}

func updateCustomer(c jeton.Customer) write {
	claims, err := jsonb(c.Claims, "{}")
	if err != nil {
		return failed(err)
	}
	return statement(true, `UPDATE customers SET username = $1,
		password_hash = $2, claims = $3, status = $4, failed_attempts = $5,
		locked_until = $6, updated_at = $7, failure_window_start = $8
		WHERE institution_id = $9 AND id = $10`,
		c.Username, c.PasswordHash, claims, c.Status, c.FailedAttempts,
		ts(c.LockedUntil), ts(c.UpdatedAt), ts(c.FailureWindowStart), c.InstitutionID, c.ID)
}

func scanCustomer(r pgx.Row) (jeton.Customer, error) {
	var c jeton.Customer
	err := r.Scan(&c.ID, &c.InstitutionID, &c.Username, &c.PasswordHash, &c.Claims,
		&c.Status, &c.FailedAttempts, tsCol{&c.LockedUntil}, tsCol{&c.CreatedAt},
		tsCol{&c.UpdatedAt}, tsCol{&c.FailureWindowStart}, &c.AttemptsInFlight)
	c.Claims = nonNilMap(c.Claims)
	return c, err
}

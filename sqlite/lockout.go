package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jeton/jeton"
)

// The lockout methods keep jeton.CustomerStore's attempt budget with one conditional
// UPDATE ... RETURNING each (DESIGN rule 1). SQLite has one writer, so a statement sees
// every earlier one's result; every SET expression sees the old row.

// newRun is whether the customer's run of attempts is over (never started, older than
// the window ?1, or ended by a lock; the WHERE clause has already refused a lock that
// still holds).
const newRun = `(failure_window_start IS NULL OR failure_window_start <= ?1 OR locked_until IS NOT NULL)`

// ReserveLoginAttempt admits one sign-in attempt before its password is verified: one
// UPDATE whose WHERE clause refuses while the customer is locked or the run's budget
// (verified failures plus attempts in flight) is spent.
func (s *Store) ReserveLoginAttempt(ctx context.Context, institutionID, id string, now time.Time, p jeton.LockoutPolicy) (jeton.Customer, bool, error) {
	var c jeton.Customer
	admitted, err := s.lockoutUpdate(ctx, institutionID, id, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		c, err = scanCustomer(s.queryRowTx(ctx, tx, `UPDATE customers SET
			attempts_in_flight = CASE WHEN `+newRun+` THEN 1 ELSE attempts_in_flight + 1 END,
			failed_attempts = CASE WHEN `+newRun+` THEN 0 ELSE failed_attempts END,
			failure_window_start = CASE WHEN `+newRun+` THEN ?2 ELSE failure_window_start END,
			locked_until = NULL
			WHERE institution_id = ?4 AND id = ?5
			AND (locked_until IS NULL OR locked_until <= ?2)
			AND (`+newRun+` OR failed_attempts + attempts_in_flight < ?3)
			RETURNING `+customerColumns,
			now.Add(-p.Window).UnixMicro(), now.UnixMicro(), p.MaxFailures, institutionID, id))
		return err
	}, &c)
	return c, admitted, mapErr("reserve login attempt", err)
}

// FailLoginAttempt counts a verified wrong password in the run it was reserved in; the
// failure that reaches p.MaxFailures locks. Within a run failures + in flight never
// exceed p.MaxFailures, so exactly one failure per run reaches it: the one that locked.
func (s *Store) FailLoginAttempt(ctx context.Context, reserved jeton.Customer, now time.Time, p jeton.LockoutPolicy) (bool, error) {
	var failed int
	counted, err := s.lockoutUpdate(ctx, reserved.InstitutionID, reserved.ID, func(ctx context.Context, tx *sql.Tx) error {
		return s.queryRowTx(ctx, tx, `UPDATE customers SET
			failed_attempts = failed_attempts + 1,
			attempts_in_flight = MAX(attempts_in_flight - 1, 0),
			locked_until = CASE WHEN failed_attempts + 1 >= ?2 AND locked_until IS NULL
				THEN ?3 ELSE locked_until END
			WHERE institution_id = ?4 AND id = ?5 AND failure_window_start = ?1
			RETURNING failed_attempts`,
			micros(reserved.FailureWindowStart), p.MaxFailures, now.Add(p.Cooldown).UnixMicro(),
			reserved.InstitutionID, reserved.ID).Scan(&failed)
	}, nil)
	return counted && failed == p.MaxFailures, mapErr("fail login attempt", err)
}

// PassLoginAttempt clears the failures unless the customer is locked at now, and gives
// the reservation back if its run is still the current one; a run with nothing left in
// it closes (no window start).
func (s *Store) PassLoginAttempt(ctx context.Context, reserved jeton.Customer, now time.Time) (bool, error) {
	const same = `failure_window_start = ?1`
	passed, err := s.lockoutUpdate(ctx, reserved.InstitutionID, reserved.ID, func(ctx context.Context, tx *sql.Tx) error {
		var id string
		return s.queryRowTx(ctx, tx, `UPDATE customers SET
			failed_attempts = 0,
			attempts_in_flight = CASE WHEN `+same+` THEN MAX(attempts_in_flight - 1, 0) ELSE attempts_in_flight END,
			failure_window_start = CASE WHEN `+same+` AND attempts_in_flight <= 1 THEN NULL ELSE failure_window_start END
			WHERE institution_id = ?3 AND id = ?4 AND (locked_until IS NULL OR locked_until <= ?2)
			RETURNING id`,
			micros(reserved.FailureWindowStart), now.UnixMicro(), reserved.InstitutionID, reserved.ID).Scan(&id)
	}, nil)
	return passed, mapErr("pass login attempt", err)
}

// ReleaseLoginAttempt gives a reservation back without counting anything, if its run
// is still the current one.
func (s *Store) ReleaseLoginAttempt(ctx context.Context, reserved jeton.Customer) error {
	_, err := s.lockoutUpdate(ctx, reserved.InstitutionID, reserved.ID, func(ctx context.Context, tx *sql.Tx) error {
		var id string
		return s.queryRowTx(ctx, tx, `UPDATE customers SET
			attempts_in_flight = MAX(attempts_in_flight - 1, 0),
			failure_window_start = CASE WHEN attempts_in_flight <= 1 AND failed_attempts = 0
				THEN NULL ELSE failure_window_start END
			WHERE institution_id = ?2 AND id = ?3 AND failure_window_start = ?1
			RETURNING id`,
			micros(reserved.FailureWindowStart), reserved.InstitutionID, reserved.ID).Scan(&id)
	}, nil)
	return mapErr("release login attempt", err)
}

// ClearLoginFailures ends the run and any lock.
func (s *Store) ClearLoginFailures(ctx context.Context, institutionID, id string) error {
	return s.do(ctx, "clear login failures", s.clearLoginFailures(institutionID, id))
}

// ClearLoginFailuresAudited is ClearLoginFailures and AppendAudit(ev), both or neither.
func (s *Store) ClearLoginFailuresAudited(ctx context.Context, institutionID, id string, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "clear login failures", ev, s.clearLoginFailures(institutionID, id))
}

func (s *Store) clearLoginFailures(institutionID, id string) write {
	return s.statement(true, `UPDATE customers SET failed_attempts = 0, attempts_in_flight = 0,
		failure_window_start = NULL, locked_until = NULL
		WHERE institution_id = ? AND id = ?`, institutionID, id)
}

// lockoutUpdate runs update (one conditional UPDATE ... RETURNING) in a write
// transaction and reports whether its condition matched. When it did not, the same
// transaction tells a refusal from an unknown customer (sql.ErrNoRows); if current is
// not nil it receives the customer as it is.
func (s *Store) lockoutUpdate(ctx context.Context, institutionID, id string, update func(context.Context, *sql.Tx) error, current *jeton.Customer) (bool, error) {
	matched := true
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := update(ctx, tx)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		matched = false
		c, err := scanCustomer(s.queryRowTx(ctx, tx, `SELECT `+customerColumns+` FROM customers
			WHERE institution_id = ? AND id = ?`, institutionID, id))
		if current != nil {
			*current = c
		}
		return err
	})
	return matched && err == nil, err
}

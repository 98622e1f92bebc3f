package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
)

// The lockout methods keep jeton.CustomerStore's attempt budget with one statement each
// (DESIGN rule 1): a conditional UPDATE ... RETURNING in a CTE. The UPDATE's row lock
// orders concurrent calls, and under READ COMMITTED PostgreSQL re-checks the WHERE
// clause against the row a concurrent call left, so the budget holds. Every SET
// expression sees the old row. When the UPDATE's condition refuses, the statement's
// second branch returns the row as it is (false), so "refused" and "no such customer"
// (no row at all) stay apart without a second round trip.

// newRun is whether the customer's run of attempts is over (never started, older than
// the window $1, or ended by a lock; the WHERE clause has already refused a lock that
// still holds).
const newRun = `(failure_window_start IS NULL OR failure_window_start <= $1 OR locked_until IS NOT NULL)`

// orCurrent wraps a data-modifying CTE "upd" that RETURNING cols: the statement yields
// (true, cols) when it matched, otherwise (false, cols) of the row as it is.
func orCurrent(update, cols, instParam, idParam string) string {
	return `WITH upd AS (` + update + ` RETURNING ` + cols + `)
		SELECT true, ` + cols + ` FROM upd
		UNION ALL
		SELECT false, ` + cols + ` FROM customers
		WHERE institution_id = ` + instParam + ` AND id = ` + idParam + ` AND NOT EXISTS (SELECT 1 FROM upd)`
}

// flagged scans a leading boolean column, then the rest into dest.
type flagged struct {
	row  pgx.Row
	flag *bool
}

func (f flagged) Scan(dest ...any) error { return f.row.Scan(append([]any{f.flag}, dest...)...) }

// ReserveLoginAttempt admits one sign-in attempt before its password is verified: the
// WHERE clause refuses while the customer is locked or the run's budget (verified
// failures plus attempts in flight) is spent.
func (s *Store) ReserveLoginAttempt(ctx context.Context, institutionID, id string, now time.Time, p jeton.LockoutPolicy) (jeton.Customer, bool, error) {
	var admitted bool
	c, err := scanCustomer(flagged{s.pool.QueryRow(ctx, orCurrent(`UPDATE customers SET
		attempts_in_flight = CASE WHEN `+newRun+` THEN 1 ELSE attempts_in_flight + 1 END,
		failed_attempts = CASE WHEN `+newRun+` THEN 0 ELSE failed_attempts END,
		failure_window_start = CASE WHEN `+newRun+` THEN $2 ELSE failure_window_start END,
		locked_until = NULL
		WHERE institution_id = $4 AND id = $5
		AND (locked_until IS NULL OR locked_until <= $2)
		AND (`+newRun+` OR failed_attempts + attempts_in_flight < $3)`, customerColumns, "$4", "$5"),
		now.Add(-p.Window), now, p.MaxFailures, institutionID, id), &admitted})
	return c, admitted && err == nil, mapErr("reserve login attempt", err)
}

// FailLoginAttempt counts a verified wrong password in the run it was reserved in; the
// failure that reaches p.MaxFailures locks. Within a run failures + in flight never
// exceed p.MaxFailures, so exactly one failure per run reaches it: the one that locked.
func (s *Store) FailLoginAttempt(ctx context.Context, reserved jeton.Customer, now time.Time, p jeton.LockoutPolicy) (bool, error) {
	var counted bool
	var failed int
	err := s.pool.QueryRow(ctx, orCurrent(`UPDATE customers SET
		failed_attempts = failed_attempts + 1,
		attempts_in_flight = GREATEST(attempts_in_flight - 1, 0),
		locked_until = CASE WHEN failed_attempts + 1 >= $2 AND locked_until IS NULL
			THEN $3 ELSE locked_until END
		WHERE institution_id = $4 AND id = $5 AND failure_window_start = $1`, "failed_attempts", "$4", "$5"),
		ts(reserved.FailureWindowStart), p.MaxFailures, now.Add(p.Cooldown), reserved.InstitutionID, reserved.ID,
	).Scan(&counted, &failed)
	return counted && err == nil && failed == p.MaxFailures, mapErr("fail login attempt", err)
}

// PassLoginAttempt clears the failures unless the customer is locked at now, and gives
// the reservation back if its run is still the current one; a run with nothing left in
// it closes (no window start).
func (s *Store) PassLoginAttempt(ctx context.Context, reserved jeton.Customer, now time.Time) (bool, error) {
	const same = `failure_window_start = $1`
	var passed bool
	var id string
	err := s.pool.QueryRow(ctx, orCurrent(`UPDATE customers SET
		failed_attempts = 0,
		attempts_in_flight = CASE WHEN `+same+` THEN GREATEST(attempts_in_flight - 1, 0) ELSE attempts_in_flight END,
		failure_window_start = CASE WHEN `+same+` AND attempts_in_flight <= 1 THEN NULL ELSE failure_window_start END
		WHERE institution_id = $3 AND id = $4 AND (locked_until IS NULL OR locked_until <= $2)`, "id", "$3", "$4"),
		ts(reserved.FailureWindowStart), now, reserved.InstitutionID, reserved.ID,
	).Scan(&passed, &id)
	return passed && err == nil, mapErr("pass login attempt", err)
}

// ReleaseLoginAttempt gives a reservation back without counting anything, if its run
// is still the current one.
func (s *Store) ReleaseLoginAttempt(ctx context.Context, reserved jeton.Customer) error {
	var released bool
	var id string
	err := s.pool.QueryRow(ctx, orCurrent(`UPDATE customers SET
		attempts_in_flight = GREATEST(attempts_in_flight - 1, 0),
		failure_window_start = CASE WHEN attempts_in_flight <= 1 AND failed_attempts = 0
			THEN NULL ELSE failure_window_start END
		WHERE institution_id = $2 AND id = $3 AND failure_window_start = $1`, "id", "$2", "$3"),
		ts(reserved.FailureWindowStart), reserved.InstitutionID, reserved.ID,
	).Scan(&released, &id)
	return mapErr("release login attempt", err)
}

// ClearLoginFailures ends the run and any lock.
func (s *Store) ClearLoginFailures(ctx context.Context, institutionID, id string) error {
	return s.do(ctx, "clear login failures", clearLoginFailures(institutionID, id))
}

// ClearLoginFailuresAudited is ClearLoginFailures and AppendAudit(ev), both or neither.
func (s *Store) ClearLoginFailuresAudited(ctx context.Context, institutionID, id string, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "clear login failures", ev, clearLoginFailures(institutionID, id))
}

func clearLoginFailures(institutionID, id string) write {
	return statement(true, `UPDATE customers SET failed_attempts = 0, attempts_in_flight = 0,
		failure_window_start = NULL, locked_until = NULL
		WHERE institution_id = $1 AND id = $2`, institutionID, id)
}

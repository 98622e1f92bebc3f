package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton"
)

const consoleUserColumns = `id, username, role, COALESCE(institution_id, ''), password_hash,
	totp_sealed, totp_step, failed_attempts, failure_window_start, locked_until, created_at,
	disabled_at, last_sign_in_at`

func scanConsoleUser(r pgx.Row) (jeton.ConsoleUser, error) {
	var u jeton.ConsoleUser
	var role string
	err := r.Scan(&u.ID, &u.Username, &role, &u.InstitutionID, &u.PasswordHash, &u.TOTPSealed,
		&u.TOTPStep, &u.FailedAttempts, tsCol{&u.FailureWindowStart}, tsCol{&u.LockedUntil},
		tsCol{&u.CreatedAt}, tsCol{&u.DisabledAt}, tsCol{&u.LastSignInAt})
	u.Role = jeton.ConsoleRole(role)
	return u, err
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateConsoleUser stores u and its recovery-code digests in one transaction.
func (s *Store) CreateConsoleUser(ctx context.Context, u jeton.ConsoleUser, recovery [][]byte) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO console_users (id, username, role, institution_id,
			password_hash, totp_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			u.ID, u.Username, string(u.Role), nullText(u.InstitutionID), u.PasswordHash,
			u.TOTPSealed, u.CreatedAt); err != nil {
			return err
		}
		for _, d := range recovery {
			if _, err := tx.Exec(ctx, `INSERT INTO console_recovery_codes (user_id, digest)
				VALUES ($1, $2)`, u.ID, d); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("create console user", err)
}

// GetConsoleUser returns the user with this id.
func (s *Store) GetConsoleUser(ctx context.Context, id string) (jeton.ConsoleUser, error) {
	u, err := scanConsoleUser(s.pool.QueryRow(ctx, `SELECT `+consoleUserColumns+` FROM console_users WHERE id = $1`, id))
	return u, mapErr("get console user", err)
}

// GetConsoleUserByUsername returns the user with this username.
func (s *Store) GetConsoleUserByUsername(ctx context.Context, username string) (jeton.ConsoleUser, error) {
	u, err := scanConsoleUser(s.pool.QueryRow(ctx, `SELECT `+consoleUserColumns+` FROM console_users WHERE username = $1`, username))
	return u, mapErr("get console user", err)
}

// consoleNewRun is whether the user's run of attempts is over (never started, older
// than the window $1, or ended by a lock that has expired; the WHERE clause has
// already refused a lock that still holds).
const consoleNewRun = `(failure_window_start IS NULL OR failure_window_start <= $1 OR locked_until IS NOT NULL)`

// ReserveConsoleSignIn counts the attempt as a failure before anything is verified:
// one UPDATE (its row lock orders racing calls) whose WHERE clause refuses while the
// user is locked, and whose SET locks on the run's p.MaxFailures-th attempt. Every SET
// expression sees the old row.
func (s *Store) ReserveConsoleSignIn(ctx context.Context, username string, now time.Time, p jeton.LockoutPolicy) (jeton.ConsoleUser, bool, error) {
	u, err := scanConsoleUser(s.pool.QueryRow(ctx, `UPDATE console_users SET
		failed_attempts = CASE WHEN `+consoleNewRun+` THEN 1 ELSE failed_attempts + 1 END,
		failure_window_start = CASE WHEN `+consoleNewRun+` THEN $2 ELSE failure_window_start END,
		locked_until = CASE WHEN (CASE WHEN `+consoleNewRun+` THEN 1 ELSE failed_attempts + 1 END) >= $3
			THEN $4::timestamptz ELSE NULL END
		WHERE username = $5 AND (locked_until IS NULL OR locked_until <= $2)
		RETURNING `+consoleUserColumns,
		now.Add(-p.Window), now, p.MaxFailures, now.Add(p.Cooldown), username))
	if errors.Is(err, pgx.ErrNoRows) {
		u, gerr := s.GetConsoleUserByUsername(ctx, username)
		return u, false, gerr
	}
	return u, err == nil, mapErr("reserve console sign-in", err)
}

// PassConsoleSignIn clears the run and records the sign-in.
func (s *Store) PassConsoleSignIn(ctx context.Context, id string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE console_users SET failed_attempts = 0,
		failure_window_start = NULL, locked_until = NULL, last_sign_in_at = $1 WHERE id = $2`, now, id)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr("pass console sign-in", err)
}

// ListConsoleUsers pages the users by username (the UNIQUE index).
func (s *Store) ListConsoleUsers(ctx context.Context, after string, limit int) ([]jeton.ConsoleUser, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+consoleUserColumns+` FROM console_users
		WHERE username > $1 ORDER BY username LIMIT $2`, after, limit)
	if err != nil {
		return nil, mapErr("list console users", err)
	}
	defer rows.Close()
	list := []jeton.ConsoleUser{}
	for rows.Next() {
		u, err := scanConsoleUser(rows)
		if err != nil {
			return nil, mapErr("list console users", err)
		}
		list = append(list, u)
	}
	return list, mapErr("list console users", rows.Err())
}

// SetConsoleUserDisabled changes the user's DisabledAt and, when disabling, deletes
// its sessions, with ev, in one transaction.
func (s *Store) SetConsoleUserDisabled(ctx context.Context, id string, disabled bool, now time.Time, ev jeton.AuditEvent) error {
	err := s.audited(ctx, ev, func(tx pgx.Tx) error {
		var at *time.Time // NULL: enabled
		if disabled {
			at = &now
		}
		tag, err := tx.Exec(ctx, `UPDATE console_users SET disabled_at = CASE
			WHEN $1::timestamptz IS NULL THEN NULL ELSE COALESCE(disabled_at, $1) END WHERE id = $2`, at, id)
		if err == nil {
			err = mustAffect(tag)
		}
		if err != nil || !disabled {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM console_sessions WHERE user_id = $1`, id)
		return err
	})
	return mapErr("set console user disabled", err)
}

// UnlockConsoleUser clears the run and the lock.
func (s *Store) UnlockConsoleUser(ctx context.Context, id string) error {
	return s.clearConsoleRun(ctx, "unlock console user", id)
}

func (s *Store) clearConsoleRun(ctx context.Context, op, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE console_users SET failed_attempts = 0,
		failure_window_start = NULL, locked_until = NULL WHERE id = $1`, id)
	if err == nil {
		err = mustAffect(tag)
	}
	return mapErr(op, err)
}

// UseConsoleTOTPStep moves the last accepted step forward, only forward.
func (s *Store) UseConsoleTOTPStep(ctx context.Context, id string, step int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE console_users SET totp_step = $1 WHERE id = $2 AND totp_step < $1`, step, id)
	if err == nil {
		err = mustAffect(tag)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return jeton.ErrAlreadyUsed
	}
	return mapErr("use console TOTP step", err)
}

// UseConsoleRecoveryCode spends one unspent recovery code.
func (s *Store) UseConsoleRecoveryCode(ctx context.Context, id string, digest []byte, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE console_recovery_codes SET used_at = $1
		WHERE user_id = $2 AND digest = $3 AND used_at IS NULL`, now, id, digest)
	if err == nil {
		err = mustAffect(tag)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return jeton.ErrAlreadyUsed
	}
	return mapErr("use console recovery code", err)
}

// CreateConsoleSession stores a session.
func (s *Store) CreateConsoleSession(ctx context.Context, cs jeton.ConsoleSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO console_sessions (digest, user_id, csrf, created_at, last_seen)
		VALUES ($1, $2, $3, $4, $5)`, cs.Digest, cs.UserID, cs.CSRF, cs.CreatedAt, cs.LastSeen)
	return mapErr("create console session", err)
}

// TouchConsoleSession returns a live session and moves its LastSeen to now.
func (s *Store) TouchConsoleSession(ctx context.Context, digest []byte, now, idleSince time.Time) (jeton.ConsoleSession, error) {
	var cs jeton.ConsoleSession
	err := s.pool.QueryRow(ctx, `UPDATE console_sessions SET last_seen = $1
		WHERE digest = $2 AND last_seen > $3
		RETURNING digest, user_id, csrf, created_at, last_seen`, now, digest, idleSince).
		Scan(&cs.Digest, &cs.UserID, &cs.CSRF, tsCol{&cs.CreatedAt}, tsCol{&cs.LastSeen})
	return cs, mapErr("touch console session", err)
}

// DeleteConsoleSession ends one session.
func (s *Store) DeleteConsoleSession(ctx context.Context, digest []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE digest = $1`, digest)
	return mapErr("delete console session", err)
}

// DeleteConsoleSessions ends every session idle since idleSince.
func (s *Store) DeleteConsoleSessions(ctx context.Context, idleSince time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE last_seen <= $1`, idleSince)
	return int(tag.RowsAffected()), mapErr("delete console sessions", err)
}

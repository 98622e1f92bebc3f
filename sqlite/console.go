package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jeton/jeton"
)

const consoleUserColumns = `id, username, role, COALESCE(institution_id, ''), password_hash,
	totp_sealed, totp_step, failed_attempts, failure_window_start, locked_until, created_at,
	disabled_at, last_sign_in_at`

func scanConsoleUser(r scanner) (jeton.ConsoleUser, error) {
	var u jeton.ConsoleUser
	err := r.Scan(&u.ID, &u.Username, &u.Role, &u.InstitutionID, &u.PasswordHash, &u.TOTPSealed,
		&u.TOTPStep, &u.FailedAttempts, timeCol{&u.FailureWindowStart}, timeCol{&u.LockedUntil},
		timeCol{&u.CreatedAt}, timeCol{&u.DisabledAt}, timeCol{&u.LastSignInAt})
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
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := s.execTx(ctx, tx, `INSERT INTO console_users (id, username, role, institution_id,
			password_hash, totp_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Username, string(u.Role), nullText(u.InstitutionID), u.PasswordHash,
			u.TOTPSealed, u.CreatedAt.UnixMicro()); err != nil {
			return err
		}
		for _, d := range recovery {
			if _, err := s.execTx(ctx, tx, `INSERT INTO console_recovery_codes (user_id, digest)
				VALUES (?, ?)`, u.ID, d); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("create console user", err)
}

// GetConsoleUser returns the user with this id.
func (s *Store) GetConsoleUser(ctx context.Context, id string) (jeton.ConsoleUser, error) {
	u, err := scanConsoleUser(s.queryRow(ctx, `SELECT `+consoleUserColumns+` FROM console_users WHERE id = ?`, id))
	return u, mapErr("get console user", err)
}

// GetConsoleUserByUsername returns the user with this username.
func (s *Store) GetConsoleUserByUsername(ctx context.Context, username string) (jeton.ConsoleUser, error) {
	u, err := scanConsoleUser(s.queryRow(ctx, `SELECT `+consoleUserColumns+` FROM console_users WHERE username = ?`, username))
	return u, mapErr("get console user", err)
}

// consoleNewRun is whether the user's run of attempts is over (never started, older
// than the window ?1, or ended by a lock that has expired; the WHERE clause has
// already refused a lock that still holds).
const consoleNewRun = `(failure_window_start IS NULL OR failure_window_start <= ?1 OR locked_until IS NOT NULL)`

// ReserveConsoleSignIn counts the attempt as a failure before anything is verified:
// one UPDATE whose WHERE clause refuses while the user is locked, and whose SET locks
// on the run's p.MaxFailures-th attempt. Every SET expression sees the old row.
func (s *Store) ReserveConsoleSignIn(ctx context.Context, username string, now time.Time, p jeton.LockoutPolicy) (jeton.ConsoleUser, bool, error) {
	var u jeton.ConsoleUser
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		u, err = scanConsoleUser(s.queryRowTx(ctx, tx, `UPDATE console_users SET
			failed_attempts = CASE WHEN `+consoleNewRun+` THEN 1 ELSE failed_attempts + 1 END,
			failure_window_start = CASE WHEN `+consoleNewRun+` THEN ?2 ELSE failure_window_start END,
			locked_until = CASE WHEN (CASE WHEN `+consoleNewRun+` THEN 1 ELSE failed_attempts + 1 END) >= ?3
				THEN ?4 ELSE NULL END
			WHERE username = ?5 AND (locked_until IS NULL OR locked_until <= ?2)
			RETURNING `+consoleUserColumns,
			now.Add(-p.Window).UnixMicro(), now.UnixMicro(), p.MaxFailures,
			now.Add(p.Cooldown).UnixMicro(), username))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		u, gerr := s.GetConsoleUserByUsername(ctx, username)
		return u, false, gerr
	}
	return u, err == nil, mapErr("reserve console sign-in", err)
}

// PassConsoleSignIn clears the run and records the sign-in.
func (s *Store) PassConsoleSignIn(ctx context.Context, id string, now time.Time) error {
	res, err := s.exec(ctx, `UPDATE console_users SET failed_attempts = 0,
		failure_window_start = NULL, locked_until = NULL, last_sign_in_at = ? WHERE id = ?`, now.UnixMicro(), id)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("pass console sign-in", err)
}

// ListConsoleUsers pages the users by username (the UNIQUE index).
func (s *Store) ListConsoleUsers(ctx context.Context, after string, limit int) ([]jeton.ConsoleUser, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+consoleUserColumns+` FROM console_users
		WHERE username > ? ORDER BY username LIMIT ?`, after, limit)
	if err != nil {
		return nil, mapErr("list console users", err)
	}
	list, err := collect(rows, scanConsoleUser)
	return list, mapErr("list console users", err)
}

// SetConsoleUserDisabled changes the user's DisabledAt and, when disabling, deletes
// its sessions, with ev, in one transaction.
func (s *Store) SetConsoleUserDisabled(ctx context.Context, id string, disabled bool, now time.Time, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "set console user disabled", ev, func(ctx context.Context, tx *sql.Tx) error {
		var at any // NULL: enabled
		if disabled {
			at = now.UnixMicro()
		}
		res, err := s.execTx(ctx, tx, `UPDATE console_users SET disabled_at = CASE
			WHEN ?1 IS NULL THEN NULL ELSE COALESCE(disabled_at, ?1) END WHERE id = ?2`, at, id)
		if err == nil {
			err = mustAffect(res)
		}
		if err != nil || !disabled {
			return err
		}
		_, err = s.execTx(ctx, tx, `DELETE FROM console_sessions WHERE user_id = ?`, id)
		return err
	})
}

// UnlockConsoleUser clears the run and the lock.
func (s *Store) UnlockConsoleUser(ctx context.Context, id string) error {
	return s.clearConsoleRun(ctx, "unlock console user", id)
}

func (s *Store) clearConsoleRun(ctx context.Context, op, id string) error {
	res, err := s.exec(ctx, `UPDATE console_users SET failed_attempts = 0,
		failure_window_start = NULL, locked_until = NULL WHERE id = ?`, id)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr(op, err)
}

// UseConsoleTOTPStep moves the last accepted step forward, only forward.
func (s *Store) UseConsoleTOTPStep(ctx context.Context, id string, step int64) error {
	res, err := s.exec(ctx, `UPDATE console_users SET totp_step = ? WHERE id = ? AND totp_step < ?`, step, id, step)
	if err == nil {
		err = mustAffect(res)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return jeton.ErrAlreadyUsed
	}
	return mapErr("use console TOTP step", err)
}

// UseConsoleRecoveryCode spends one unspent recovery code.
func (s *Store) UseConsoleRecoveryCode(ctx context.Context, id string, digest []byte, now time.Time) error {
	res, err := s.exec(ctx, `UPDATE console_recovery_codes SET used_at = ?
		WHERE user_id = ? AND digest = ? AND used_at IS NULL`, now.UnixMicro(), id, digest)
	if err == nil {
		err = mustAffect(res)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return jeton.ErrAlreadyUsed
	}
	return mapErr("use console recovery code", err)
}

// CreateConsoleSession stores a session.
func (s *Store) CreateConsoleSession(ctx context.Context, cs jeton.ConsoleSession) error {
	_, err := s.exec(ctx, `INSERT INTO console_sessions (digest, user_id, csrf, created_at, last_seen)
		VALUES (?, ?, ?, ?, ?)`, cs.Digest, cs.UserID, cs.CSRF, cs.CreatedAt.UnixMicro(), cs.LastSeen.UnixMicro())
	return mapErr("create console session", err)
}

// TouchConsoleSession returns a live session and moves its LastSeen to now.
func (s *Store) TouchConsoleSession(ctx context.Context, digest []byte, now, idleSince time.Time) (jeton.ConsoleSession, error) {
	var cs jeton.ConsoleSession
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.queryRowTx(ctx, tx, `UPDATE console_sessions SET last_seen = ?
			WHERE digest = ? AND last_seen > ?
			RETURNING digest, user_id, csrf, created_at, last_seen`,
			now.UnixMicro(), digest, idleSince.UnixMicro()).Scan(&cs.Digest, &cs.UserID, &cs.CSRF,
			timeCol{&cs.CreatedAt}, timeCol{&cs.LastSeen})
	})
	return cs, mapErr("touch console session", err)
}

// DeleteConsoleSession ends one session.
func (s *Store) DeleteConsoleSession(ctx context.Context, digest []byte) error {
	_, err := s.exec(ctx, `DELETE FROM console_sessions WHERE digest = ?`, digest)
	return mapErr("delete console session", err)
}

// DeleteConsoleSessions ends every session idle since idleSince.
func (s *Store) DeleteConsoleSessions(ctx context.Context, idleSince time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM console_sessions WHERE last_seen <= ?`, idleSince.UnixMicro())
	if err != nil {
		return 0, mapErr("delete console sessions", err)
	}
	n, err := res.RowsAffected()
	return int(n), mapErr("delete console sessions", err)
}

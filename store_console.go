package jeton

import (
	"context"
	"time"
)

// ConsoleRole is what a console user may see and change.
type ConsoleRole string

const (
	// ConsoleOperator runs every institution.
	ConsoleOperator ConsoleRole = "operator"
	// ConsoleInstitutionAdmin runs one institution (ConsoleUser.InstitutionID).
	ConsoleInstitutionAdmin ConsoleRole = "institution-admin"
)

// ConsoleUser is a person who signs in to the web console (docs/console.md). The
// password is an argon2id PHC string; the TOTP secret (RFC 6238) is sealed under the
// KEK like every other server-held secret.
type ConsoleUser struct {
	ID            string
	Username      string
	Role          ConsoleRole
	InstitutionID string // institution-admin only; "" for an operator
	PasswordHash  string
	TOTPSealed    []byte // the TOTP secret, sealed (keys.Keyring)
	// TOTPStep is the last RFC 6238 time step accepted; a code of this step or an
	// earlier one is refused (RFC 6238 §5.2: a code is accepted at most once).
	TOTPStep           int64
	FailedAttempts     int
	FailureWindowStart time.Time
	LockedUntil        time.Time
	CreatedAt          time.Time
	// DisabledAt is when an operator disabled the user (zero while enabled): a
	// disabled user can neither sign in nor use a session.
	DisabledAt time.Time
	// LastSignInAt is the user's last completed sign-in (zero: never).
	LastSignInAt time.Time
}

// Disabled reports whether an operator disabled u.
func (u ConsoleUser) Disabled() bool { return !u.DisabledAt.IsZero() }

// ConsoleSession is a signed-in browser: the cookie holds a 256-bit random value and
// the store only its SHA-256 digest; CSRF is the token every form of the session
// carries.
type ConsoleSession struct {
	Digest    []byte
	UserID    string
	CSRF      string
	CreatedAt time.Time
	LastSeen  time.Time
}

// ConsoleStore keeps console users, their recovery codes and their sessions.
type ConsoleStore interface {
	// CreateConsoleUser stores u and the digests of its recovery codes in one
	// transaction; a taken username is ErrConflict.
	CreateConsoleUser(ctx context.Context, u ConsoleUser, recoveryDigests [][]byte) error
	GetConsoleUser(ctx context.Context, id string) (ConsoleUser, error)
	GetConsoleUserByUsername(ctx context.Context, username string) (ConsoleUser, error)
	// ReserveConsoleSignIn admits one sign-in attempt before anything is verified, and
	// counts it as a failure at once. ATOMIC: one conditional UPDATE. It refuses
	// (false, nothing written) while the user is locked. A run older than p.Window, or
	// one ended by an expired lock, starts over. The attempt that brings the run to
	// p.MaxFailures sets LockedUntil = now + p.Cooldown, so at most p.MaxFailures
	// passwords are ever verified per run however many attempts race.
	ReserveConsoleSignIn(ctx context.Context, username string, now time.Time, p LockoutPolicy) (ConsoleUser, bool, error)
	// PassConsoleSignIn clears the run after a verified password and second factor,
	// and records now as the user's last sign-in.
	PassConsoleSignIn(ctx context.Context, id string, now time.Time) error
	// ListConsoleUsers returns at most limit users by username, after the username
	// after ("" for the first page).
	ListConsoleUsers(ctx context.Context, after string, limit int) ([]ConsoleUser, error)
	// SetConsoleUserDisabled disables (disabled: DisabledAt = now, and every session of
	// the user deleted) or enables (DisabledAt cleared) the user id, and appends ev.
	// ATOMIC: one transaction, all or nothing, so no session of a disabled user
	// survives the call. Disabling a disabled user keeps its first DisabledAt. An
	// unknown user is ErrNotFound (nothing written).
	SetConsoleUserDisabled(ctx context.Context, id string, disabled bool, now time.Time, ev AuditEvent) error
	// UnlockConsoleUser ends the run and the lock (an operator unlock).
	UnlockConsoleUser(ctx context.Context, id string) error
	// UseConsoleTOTPStep records step as the user's last accepted TOTP step. ATOMIC:
	// one conditional UPDATE; a step not after the last accepted one is
	// ErrAlreadyUsed, so a code is accepted once even by racing requests.
	UseConsoleTOTPStep(ctx context.Context, id string, step int64) error
	// UseConsoleRecoveryCode spends the recovery code with this digest. ATOMIC: one
	// conditional UPDATE; an unknown or spent code is ErrAlreadyUsed.
	UseConsoleRecoveryCode(ctx context.Context, id string, digest []byte, now time.Time) error
	// CreateConsoleSession stores s.
	CreateConsoleSession(ctx context.Context, s ConsoleSession) error
	// TouchConsoleSession returns the session with this digest and moves its LastSeen
	// to now, if it was last seen after idleSince. ATOMIC: one UPDATE ... RETURNING;
	// an unknown or idle session is ErrNotFound.
	TouchConsoleSession(ctx context.Context, digest []byte, now, idleSince time.Time) (ConsoleSession, error)
	// DeleteConsoleSession ends a session (sign-out); an unknown one is not an error.
	DeleteConsoleSession(ctx context.Context, digest []byte) error
	// DeleteConsoleSessions ends every session last seen before idleSince.
	DeleteConsoleSessions(ctx context.Context, idleSince time.Time) (int, error)
}

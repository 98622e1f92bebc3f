package jeton

import (
	"context"
	"time"
)

// Store is jeton's persistence. sqlite.Store and postgres.Store implement it with
// native SQL each; storetest.Run is the suite both must pass.
//
// Conventions every implementation keeps:
//   - Times are passed in by the caller (the engine's injected clock); a Store never
//     calls time.Now for anything that decides validity.
//   - Lookups that take an institutionID are scoped: a row of another institution is
//     ErrNotFound, never returned.
//   - Missing rows are ErrNotFound, duplicate keys ErrConflict, lost single-use races
//     ErrAlreadyUsed (wrapped; test with errors.Is).
//   - An ...Audited method is the method of its name without "Audited" and
//     AppendAudit(ev) in one transaction: the change and its audit event are both
//     written or neither is (a failure of either undoes the other). Admin changes go
//     through these, so no change is ever missing from the audit log.
//   - Methods marked ATOMIC are one conditional statement or one transaction with a row
//     lock; never a read in Go followed by a write (DESIGN rule 1). When N callers race,
//     exactly one succeeds.
type Store interface {
	InstitutionStore
	ClientStore
	CustomerStore
	KeyStore
	SealedStore
	KEKHolderStore
	RefreshStore
	AccessTokenStore
	AssertionStore
	RevocationStore
	AuditStore
	CalendarStore
	TokenSlotStore
	OIDCStore
	ConsoleStore

	// DeleteExpired removes rows that can no longer matter at now — assertion ids,
	// revocations and opaque access tokens past their expiry, refresh tokens past their
	// idle expiry, refresh families past their absolute expiry (with their tokens),
	// token slots past their expiry — at most batch rows per table per call, so one
	// call never holds a lock for long. It returns how many rows it removed; the
	// janitor calls it until it returns 0.
	DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error)

	// Migrate applies the embedded migrations (goose) up to the latest version.
	Migrate(ctx context.Context) error
	// Ping reports whether the database answers (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// InstitutionStore keeps tenants.
type InstitutionStore interface {
	CreateInstitution(ctx context.Context, in Institution) error
	GetInstitution(ctx context.Context, id string) (Institution, error)
	ListInstitutions(ctx context.Context) ([]Institution, error)
	// UpdateInstitution replaces the mutable fields (Name, DefaultProfile, UpdatedAt) of in.ID.
	UpdateInstitution(ctx context.Context, in Institution) error
	CreateInstitutionAudited(ctx context.Context, in Institution, ev AuditEvent) error
	UpdateInstitutionAudited(ctx context.Context, in Institution, ev AuditEvent) error
}

// ClientStore keeps OAuth clients. Client ids are globally unique: the token endpoint
// looks a client up by id alone, before it knows the institution.
type ClientStore interface {
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, clientID string) (Client, error)
	// ListClients returns the clients owned by institutionID ("" lists every client),
	// including disabled and deleted ones, ordered by CreatedAt then ID.
	ListClients(ctx context.Context, institutionID string) ([]Client, error)
	// SearchClients returns up to limit clients that are not deleted, of institutionID
	// ("" for every institution), whose name contains query (any case) or whose id is
	// query ("" for all), after the cursor (after.CreatedAt, after.ID) (zero for the
	// start), ordered by CreatedAt, then ID: a keyset-paged list that never loads the
	// rest.
	SearchClients(ctx context.Context, institutionID, query string, after Client, limit int) ([]Client, error)
	// UpdateClient replaces every mutable field of c.ID (all but ID, InstitutionID and
	// CreatedAt).
	UpdateClient(ctx context.Context, c Client) error
	// CreateClientAudited is CreateClient and AppendAudit(ev) in one transaction: the
	// client and its audit event are both written or neither is (a failure of either
	// undoes the other). Admin changes go through these two, so no change is ever
	// missing from the audit log.
	CreateClientAudited(ctx context.Context, c Client, ev AuditEvent) error
	// UpdateClientAudited is UpdateClient and AppendAudit(ev) in one transaction, both
	// or neither.
	UpdateClientAudited(ctx context.Context, c Client, ev AuditEvent) error
}

// CustomerStore keeps an institution's end users. Usernames are unique per institution.
type CustomerStore interface {
	CreateCustomer(ctx context.Context, c Customer) error
	GetCustomer(ctx context.Context, institutionID, id string) (Customer, error)
	GetCustomerByUsername(ctx context.Context, institutionID, username string) (Customer, error)
	ListCustomers(ctx context.Context, institutionID string) ([]Customer, error)
	// SearchCustomers returns up to limit of institutionID's customers whose username
	// starts with prefix ("" for all) and sorts after after ("" from the start),
	// ordered by username (in the database's collation): a page of a keyset-paged list
	// that never loads the rest.
	SearchCustomers(ctx context.Context, institutionID, prefix, after string, limit int) ([]Customer, error)
	// UpdateCustomer replaces the mutable fields of the customer c.ID in c.InstitutionID
	// (Username, PasswordHash, Claims, Status, FailedAttempts, FailureWindowStart,
	// LockedUntil, UpdatedAt). AttemptsInFlight is not written: only the lockout
	// methods below keep it.
	UpdateCustomer(ctx context.Context, c Customer) error
	CreateCustomerAudited(ctx context.Context, c Customer, ev AuditEvent) error
	UpdateCustomerAudited(ctx context.Context, c Customer, ev AuditEvent) error
	// The lockout methods below keep a run of sign-in attempts per customer: it starts
	// at its first reservation (FailureWindowStart) and lasts p.Window; a lock ends it
	// when the lock expires. Within a run FailedAttempts + AttemptsInFlight never
	// exceeds p.MaxFailures, so at most p.MaxFailures wrong passwords are verified per
	// run however many attempts arrive at once. Each method is ATOMIC: one conditional
	// UPDATE ... RETURNING (the row lock orders concurrent calls); an unknown customer
	// is ErrNotFound.
	//
	// ReserveLoginAttempt admits one attempt at now before its password is verified.
	// It refuses (false, nothing written) while the customer is locked or while
	// FailedAttempts + AttemptsInFlight has reached p.MaxFailures. Otherwise it counts
	// the attempt in flight and returns true with the updated customer; a run older
	// than p.Window, or one ended by an expired lock, starts over first (no failures,
	// no lock, window start now). A refusal returns the customer as it is.
	ReserveLoginAttempt(ctx context.Context, institutionID, id string, now time.Time, p LockoutPolicy) (Customer, bool, error)
	// FailLoginAttempt settles the reservation held by reserved (what
	// ReserveLoginAttempt returned) as a verified wrong password: in flight becomes
	// failed, and the p.MaxFailures-th failure sets LockedUntil = now + p.Cooldown.
	// It returns true when this failure set the lock. A reservation whose run has
	// ended meanwhile is not counted (false).
	FailLoginAttempt(ctx context.Context, reserved Customer, now time.Time, p LockoutPolicy) (bool, error)
	// PassLoginAttempt settles the reservation as a verified right password: unless
	// the customer is locked at now, it clears FailedAttempts, gives the reservation
	// back and returns true. Other attempts still in flight keep their reservations.
	// While the customer is locked it changes nothing and returns false: the sign-in
	// must be refused.
	PassLoginAttempt(ctx context.Context, reserved Customer, now time.Time) (bool, error)
	// ReleaseLoginAttempt gives back a reservation whose password was never verified
	// (the hash pool was full, the caller went away); nothing is counted.
	ReleaseLoginAttempt(ctx context.Context, reserved Customer) error
	// ClearLoginFailures ends the run: it resets FailedAttempts, AttemptsInFlight,
	// FailureWindowStart and LockedUntil (an admin unlock). Attempts still in flight
	// then settle as not counted.
	ClearLoginFailures(ctx context.Context, institutionID, id string) error
	ClearLoginFailuresAudited(ctx context.Context, institutionID, id string, ev AuditEvent) error
}

// KeyStore keeps jeton's signing keys.
type KeyStore interface {
	// ListSigningKeys returns every stored key, oldest first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// AddSigningKey is ATOMIC: in one transaction it retires every current key (zero
	// RetiredAt) of next.Alg, setting RetiredAt = next.ActiveAt and UnpublishAt =
	// unpublishAt, and inserts next. With no current key of that alg it only inserts.
	AddSigningKey(ctx context.Context, next SigningKey, unpublishAt time.Time) error
	AddSigningKeyAudited(ctx context.Context, next SigningKey, unpublishAt time.Time, ev AuditEvent) error
	// AddFirstSigningKey is ATOMIC: it inserts k only if no current key of k.Alg
	// exists, else returns ErrConflict and changes nothing (so replicas starting
	// together on an empty database end up with one first key per alg, not one each).
	AddFirstSigningKey(ctx context.Context, k SigningKey) error
	// ReplaceSigningKey is ATOMIC, the scheduled rotation's one store call: in one
	// transaction it retires predecessorID (RetiredAt = next.ActiveAt, UnpublishAt =
	// unpublishAt), inserts next and appends ev, but only while predecessorID is the
	// current (unretired) key of next.Alg. Otherwise (another replica, or an admin,
	// rotated it first; or it does not exist) it returns ErrConflict and changes
	// nothing, so replicas that find a key due at the same moment make one successor.
	ReplaceSigningKey(ctx context.Context, predecessorID string, next SigningKey, unpublishAt time.Time, ev AuditEvent) error
	AddFirstSigningKeyAudited(ctx context.Context, k SigningKey, ev AuditEvent) error
	// DeleteSigningKeys removes keys whose UnpublishAt is set and before now; it returns
	// how many were removed.
	DeleteSigningKeys(ctx context.Context, now time.Time) (int, error)
}

// SealedKind names a column that holds values sealed under the key-encryption key.
type SealedKind string

// Every sealed column. A KEK rotation re-seals each of them; a new sealed column needs
// its kind here and its table in both stores' ListSealed and ReplaceSealed.
const (
	// SealedSigningKey: signing_keys.private_sealed, by kid.
	SealedSigningKey SealedKind = "signing_key"
	// SealedClientSecret: a client_secret_jwt client's SecretSealed, by client id.
	SealedClientSecret SealedKind = "client_secret"
	// SealedPreviousClientSecret: its PreviousSecretSealed (during a secret
	// rotation's grace), by client id.
	SealedPreviousClientSecret SealedKind = "client_previous_secret"
	// SealedConsoleTOTP: a console user's TOTP secret (RFC 6238), by user id.
	SealedConsoleTOTP SealedKind = "console_totp"
)

// SealedKinds lists every SealedKind.
var SealedKinds = []SealedKind{SealedSigningKey, SealedClientSecret, SealedPreviousClientSecret, SealedConsoleTOTP}

// SealedValue is one stored sealed value: where it lives and its bytes.
type SealedValue struct {
	Kind   SealedKind
	ID     string // the row: a kid or a client id
	Sealed []byte
}

// SealedStore lets a KEK rotation (keys.Reseal) walk and rewrite every sealed value
// while replicas keep serving.
type SealedStore interface {
	// ListSealed returns up to limit non-empty values of kind whose row id is greater
	// than after, in id order (a page; pass the last id to get the next one).
	ListSealed(ctx context.Context, kind SealedKind, after string, limit int) ([]SealedValue, error)
	// ReplaceSealed is ATOMIC (one conditional UPDATE): it sets the value of kind in
	// row id to next only if it still holds exactly old, so a write another replica
	// made since old was read is never overwritten. Otherwise (changed, emptied or
	// deleted since) it returns ErrConflict and changes nothing.
	ReplaceSealed(ctx context.Context, kind SealedKind, id string, old, next []byte) error
}

// RefreshStore keeps refresh-token families (digests only).
type RefreshStore interface {
	// CreateRefreshFamily inserts a family and its first token in one transaction.
	CreateRefreshFamily(ctx context.Context, f RefreshFamily, first RefreshToken) error
	// GetRefreshToken returns a token by digest with its family.
	GetRefreshToken(ctx context.Context, digest []byte) (RefreshToken, RefreshFamily, error)
	// RotateRefreshToken is ATOMIC: it marks the token oldDigest used at now with
	// next.Digest as successor and inserts next, only if oldDigest is unused. Otherwise
	// it changes nothing and returns ErrAlreadyUsed (ErrNotFound if no such token).
	RotateRefreshToken(ctx context.Context, oldDigest []byte, next RefreshToken, now time.Time) error
	// ClaimRefreshToken is ATOMIC: it rotates the token c.Key into c.Next, as
	// RotateRefreshToken does, only if c.Accepts the token, its family and the
	// family's customer at that moment. It returns the token as it was and its family,
	// and the successor's stored expiry (c.NextExpiry). A claim that does not hold
	// changes nothing and returns ErrNotFound, whatever the reason. PostgreSQL answers
	// it in one round trip.
	ClaimRefreshToken(ctx context.Context, c RefreshClaim) (RefreshToken, RefreshFamily, time.Time, error)
	// RevokeRefreshFamily sets RevokedAt (if not yet set) on the family.
	RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error
	// RevokeGrant is ATOMIC (one transaction): it records r, a RevokeFamily revocation
	// (kept as Revoke keeps it), and sets RevokedAt (if not yet set) to r.RevokedAt on
	// the refresh family r.ID. When that family does not exist yet, tombstone (ID r.ID,
	// RevokedAt set) is inserted in its place, so a later CreateRefreshFamily of that id
	// fails with ErrConflict: a family can never start after its grant was revoked,
	// whatever the order of the two calls and on whichever replica each one runs.
	// Family revocations are recorded only with or after the family's RevokedAt, so
	// readers of refresh tokens need only RevokedAt.
	RevokeGrant(ctx context.Context, r Revocation, tombstone RefreshFamily) error
	// ExtendRefreshToken sets the idle ExpiresAt of an unused token (clients without
	// rotation keep one token whose idle lifetime restarts at each use); ErrNotFound if
	// no unused token has that digest.
	ExtendRefreshToken(ctx context.Context, digest []byte, expiresAt time.Time) error
}

// AccessTokenStore keeps opaque access tokens, only under their digests (a JWT
// access token has no row: nothing is written per JWT).
type AccessTokenStore interface {
	// CreateAccessToken records t; its client and institution must exist.
	CreateAccessToken(ctx context.Context, t AccessToken) error
	// GetAccessToken returns the token with digest (expired ones too: the caller
	// decides validity with its clock).
	GetAccessToken(ctx context.Context, digest []byte) (AccessToken, error)
}

// AssertionStore remembers used client assertions (RFC 7523 §3 item 7: an assertion
// may be used only once until it expires).
type AssertionStore interface {
	// UseAssertionID is ATOMIC: it records the assertion (clientID, jti, expiresAt)
	// until expiresAt. If that assertion is already recorded with an expiry after now
	// it returns ErrAlreadyUsed; an expired record is replaced. expiresAt is part of
	// what identifies the assertion: a replay carries the same jti and the same exp,
	// because both are signed, so it always finds its record, while the same jti with
	// another expiry can only come from the key's holder signing anew, and is another
	// assertion. Keying by expiry first lets both stores insert records next to each
	// other instead of at random (issue 16).
	UseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error
}

// RevocationStore keeps revoked token ids and families until they expire.
type RevocationStore interface {
	// Revoke records r; revoking something already revoked is not an error.
	Revoke(ctx context.Context, r Revocation) error
	IsRevoked(ctx context.Context, kind RevocationKind, id string) (bool, error)
}

package cardcorestore

import (
	"context"
	"time"

	"github.com/jeton/jeton"
)

//go:generate go run github.com/jeton/jeton/internal/storeobs/gen -pkg github.com/jeton/jeton/dialect/cardcore/cardcorestore -out observed_gen.go -wrap Store=observed:Observe

// Store keeps CardCore applications and institution-scoped admin keys
// (docs/dialects/cardcore.md).
type Store interface {
	// CreateCardCoreApp is ATOMIC: in one transaction it inserts the client c, gives
	// app.InstitutionID its record id if it has none yet (app.InstitutionRecordID is the
	// candidate; the stored one wins), records app for c and appends ev. Any failure
	// leaves none of them: a duplicate client id or Key is jeton.ErrConflict, an app
	// whose ClientID or InstitutionID is not c's is jeton.ErrNotFound.
	CreateCardCoreApp(ctx context.Context, c jeton.Client, app App, ev jeton.AuditEvent) error
	// GetCardCoreApp returns the application of a client, deleted ones too, with its
	// InstitutionRecordID.
	GetCardCoreApp(ctx context.Context, clientID string) (App, error)
	// GetCardCoreAppByKey returns institutionID's application with key; another
	// institution's is jeton.ErrNotFound.
	GetCardCoreAppByKey(ctx context.Context, institutionID, key string) (App, error)
	// ListCardCoreApps returns at most limit of institutionID's live (not deleted)
	// applications by Key, after the Key after ("" for the first page), with their
	// InstitutionRecordID: the console's list, paged along the (institution, key) index.
	ListCardCoreApps(ctx context.Context, institutionID, after string, limit int) ([]App, error)
	// UpdateCardCoreApp replaces the client c's Name, Status, AuthMethod, PublicKeys,
	// Grants, Scopes, DefaultScopes and UpdatedAt and the descriptive fields of its
	// application (Description, WebsiteURL, IconURL, Subject, IsOfficial,
	// IsVerified, UpdatedAt) and appends ev, in one transaction. jeton.ErrNotFound (and
	// nothing written) unless app names a live (not deleted) application of c in
	// app.InstitutionID.
	UpdateCardCoreApp(ctx context.Context, c jeton.Client, app App, ev jeton.AuditEvent) error
	// DeleteCardCoreApp is ATOMIC: in one transaction it marks institutionID's live
	// application with key deleted and its client jeton.ClientDeleted, at now. It returns the
	// client id and appends ev (whose Subject the caller sets to that client id, known
	// from the application it read) in the same transaction; jeton.ErrNotFound, and
	// nothing written, if there is no such live application.
	DeleteCardCoreApp(ctx context.Context, institutionID, key string, now time.Time, ev jeton.AuditEvent) (string, error)

	// CreateInstitutionKey records k (its institution must exist, else jeton.ErrNotFound).
	CreateInstitutionKey(ctx context.Context, k InstitutionKey) error
	// CreateInstitutionKeyAudited is CreateInstitutionKey and appending ev in one
	// transaction: both or neither (so are the other ...Audited methods).
	CreateInstitutionKeyAudited(ctx context.Context, k InstitutionKey, ev jeton.AuditEvent) error
	// GetInstitutionKey returns the key with digest, revoked ones too.
	GetInstitutionKey(ctx context.Context, digest []byte) (InstitutionKey, error)
	// ListInstitutionKeys returns institutionID's keys by CreatedAt, then ID.
	ListInstitutionKeys(ctx context.Context, institutionID string) ([]InstitutionKey, error)
	// RevokeInstitutionKey sets RevokedAt (if not yet set) on institutionID's key id.
	RevokeInstitutionKey(ctx context.Context, institutionID, id string, now time.Time) error
	RevokeInstitutionKeyAudited(ctx context.Context, institutionID, id string, now time.Time, ev jeton.AuditEvent) error
}

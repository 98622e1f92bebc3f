// Package cardcorestore is the CardCore vendor's state: its domain types and the store
// interface that sqlite.Store and postgres.Store implement in their cardcore.go files
// (docs/dialects/cardcore.md). The core never imports it: jeton.Store holds only what
// the engine needs.
package cardcorestore

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// App is a CardCore "institution OAuth application" (docs/dialects/cardcore.md):
// a private_key_jwt Client plus the identifiers and descriptive fields CardCore's wire
// format carries. The Client holds the name, scopes, grants and the registered key; this
// holds the rest, in its own table keyed by the client id.
type App struct {
	ClientID      string `json:"client_id"`
	InstitutionID string `json:"institution_id"`
	// Key is the application's institution key, "institutionId" on the wire: 32
	// lowercase hex characters, unique across applications.
	Key string `json:"key"`
	// RecordID is the application's record id ("institutionOauth", "_id"): 24 hex.
	RecordID string `json:"record_id"`
	// InstitutionRecordID is the institution's record id ("institution"): 24 hex, one per
	// institution, assigned by the first application's creation and kept from then on.
	InstitutionRecordID string `json:"institution_record_id"`
	// CreatedBy is the institution user who created it ("institutionUser", "createdBy"):
	// the record id of the institution key that made the call.
	CreatedBy   string `json:"created_by"`
	Description string `json:"description"`
	// WebsiteURL is the company URL; when set, a client assertion's iss must equal it.
	WebsiteURL string `json:"website_url"`
	IconURL    string `json:"icon_url"`
	// Subject is the uploaded certificate's subject DN; "" for a bare public key.
	Subject    string    `json:"subject"`
	IsOfficial bool      `json:"is_official"`
	IsVerified bool      `json:"is_verified"`
	Deleted    bool      `json:"deleted"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// InstitutionKey is an institution-scoped administrator key: it may manage only its own
// institution's CardCore applications. Only the SHA-256 digest of the key is stored
// (DESIGN rule 5).
type InstitutionKey struct {
	ID            string `json:"id"`
	InstitutionID string `json:"institution_id"`
	// UserID is the 24-hex record id of the institution user the key stands for.
	UserID    string    `json:"user_id"`
	Digest    []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	// RevokedAt is when the key was revoked; zero while it works.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// NewRecordID returns a random 96-bit record id as 24 lowercase hex characters, the
// shape of CardCore's (MongoDB ObjectId-like) record ids.
func NewRecordID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

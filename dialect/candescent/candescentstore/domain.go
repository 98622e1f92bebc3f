// Package candescentstore is the Candescent vendor's state: institution settings and
// client links, and the store interface that sqlite.Store and postgres.Store implement
// in their candescent.go files (docs/dialects/candescent.md). The core never imports it.
package candescentstore

import "time"

// Settings are an institution's settings for the Candescent dialect
// (docs/dialects/candescent.md). They live beside the institution rather than in it:
// only that dialect reads them.
type Settings struct {
	InstitutionID string `json:"institution_id"`
	// Alias is another name the institutionId and di_fiid headers may carry for the
	// institution (FIs with numeric ids, e.g. "01234"); "" when none. Aliases are
	// unique across institutions.
	Alias string `json:"alias,omitempty"`
	// V1Enabled turns on the legacy V1 token endpoint (XML answers) for the
	// institution; off by default.
	V1Enabled bool      `json:"v1_enabled"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ClientLink lets Minter mint authorization codes for Client at Candescent's
// server-side code endpoints (a trusted backend authorizes another app). Only an
// admin creates links.
type ClientLink struct {
	MinterID  string    `json:"minter_id"`
	ClientID  string    `json:"client_id"`
	CreatedAt time.Time `json:"created_at"`
}

package candescentstore

import (
	"context"

	"github.com/jeton/jeton"
)

//go:generate go run github.com/jeton/jeton/internal/storeobs/gen -pkg github.com/jeton/jeton/dialect/candescent/candescentstore -out observed_gen.go -wrap Store=observed:Observe

// Store keeps what the Candescent dialect needs beyond the engine: the institutions'
// aliases and V1 switch, and the client links that allow server-side code minting.
// Errors follow jeton.Store's conventions.
type Store interface {
	// PutCandescentSettings creates or replaces the settings of s.InstitutionID. The
	// institution must exist (else jeton.ErrNotFound); an alias another institution
	// holds is jeton.ErrConflict.
	PutCandescentSettings(ctx context.Context, s Settings) error
	// PutCandescentSettingsAudited is PutCandescentSettings and appending ev in one
	// transaction: both or neither (so are the other ...Audited methods).
	PutCandescentSettingsAudited(ctx context.Context, s Settings, ev jeton.AuditEvent) error
	// GetCandescentSettings returns the settings of an institution; jeton.ErrNotFound
	// when none were ever put (callers treat that as the defaults: no alias, V1 off).
	GetCandescentSettings(ctx context.Context, institutionID string) (Settings, error)
	// InstitutionByAlias returns the settings holding alias; jeton.ErrNotFound when none.
	InstitutionByAlias(ctx context.Context, alias string) (Settings, error)

	// LinkClients records that l.MinterID may mint codes for l.ClientID. Both clients
	// must exist (else jeton.ErrNotFound); linking twice is jeton.ErrConflict.
	LinkClients(ctx context.Context, l ClientLink) error
	LinkClientsAudited(ctx context.Context, l ClientLink, ev jeton.AuditEvent) error
	// UnlinkClients removes a link; jeton.ErrNotFound when there was none.
	UnlinkClients(ctx context.Context, minterID, clientID string) error
	UnlinkClientsAudited(ctx context.Context, minterID, clientID string, ev jeton.AuditEvent) error
	// GetClientLink returns one link; jeton.ErrNotFound when there is none.
	GetClientLink(ctx context.Context, minterID, clientID string) (ClientLink, error)
	// ListClientLinks returns the links whose minter is minterID, ordered by ClientID.
	ListClientLinks(ctx context.Context, minterID string) ([]ClientLink, error)
}

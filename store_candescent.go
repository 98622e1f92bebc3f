package jeton

import "context"

// CandescentStore keeps what the Candescent dialect needs beyond the engine: the
// institutions' aliases and V1 switch, and the client links that allow server-side
// code minting. Store embeds it.
type CandescentStore interface {
	// PutCandescentSettings creates or replaces the settings of s.InstitutionID. The
	// institution must exist (else ErrNotFound); an alias another institution holds is
	// ErrConflict.
	PutCandescentSettings(ctx context.Context, s CandescentSettings) error
	// GetCandescentSettings returns the settings of an institution; ErrNotFound when
	// none were ever put (callers treat that as the defaults: no alias, V1 off).
	GetCandescentSettings(ctx context.Context, institutionID string) (CandescentSettings, error)
	// InstitutionByAlias returns the settings holding alias; ErrNotFound when none.
	InstitutionByAlias(ctx context.Context, alias string) (CandescentSettings, error)

	// LinkClients records that l.MinterID may mint codes for l.ClientID. Both clients
	// must exist (else ErrNotFound); linking twice is ErrConflict.
	LinkClients(ctx context.Context, l ClientLink) error
	// UnlinkClients removes a link; ErrNotFound when there was none.
	UnlinkClients(ctx context.Context, minterID, clientID string) error
	// GetClientLink returns one link; ErrNotFound when there is none.
	GetClientLink(ctx context.Context, minterID, clientID string) (ClientLink, error)
	// ListClientLinks returns the links whose minter is minterID, ordered by ClientID.
	ListClientLinks(ctx context.Context, minterID string) ([]ClientLink, error)
}

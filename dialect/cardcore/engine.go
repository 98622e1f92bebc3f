package cardcore

import (
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/token"
)

// EngineConfig wires the CardCore engine: the shared issuer and refresh grant, and
// an authenticator whose only method is private_key_jwt under CardCore's rules.
type EngineConfig struct {
	Clients clientauth.ClientSource
	Apps    *Apps
	Replay  jeton.AssertionStore
	// Audiences are the accepted assertion aud values (RFC 7523 §3 item 3): the public
	// token URL and the configured CardCore environment URLs.
	Audiences   []string
	MaxLifetime time.Duration
	Skew        time.Duration
	// MinRSABits is the smallest registered RSA key that verifies (default 2048).
	MinRSABits int
	// RequireLowS refuses high-S ES256 signatures (clientauth.AssertionConfig).
	RequireLowS bool
	Issuer      *token.Issuer
	Refresh     *token.RefreshGrant
	Policies    []token.Policy
	Now         func() time.Time
	// Keys are the applications' registered keys, parsed once per version (default:
	// a cache of the engine's own).
	Keys *clientauth.Keys
	// Events, when set, is told of each replayed assertion.
	Events jeton.SecurityObserver
	// Tracer makes a span of each step (nil: tracing off).
	Tracer *tracing.Tracer
}

// NewEngine returns the engine of the token endpoint: client_credentials with a
// refresh token (CardCore returns one) and refresh_token, the client assertion
// required on both (RFC 7523 §2.2 under AssertionProfile).
func NewEngine(cfg EngineConfig) (*token.Engine, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Keys == nil {
		cfg.Keys = NewKeys(cfg.MinRSABits, cfg.Now)
	}
	a, err := clientauth.NewAssertion(clientauth.AssertionConfig{
		Audiences: cfg.Audiences, MaxLifetime: cfg.MaxLifetime, Skew: cfg.Skew, Now: cfg.Now,
		Replay: cfg.Replay, Keys: cfg.Keys, Events: cfg.Events,
		Profile: AssertionProfile(cfg.Apps), RequireLowS: cfg.RequireLowS,
	})
	if err != nil {
		return nil, err
	}
	auth := &clientauth.Authenticator{Clients: cfg.Clients, Now: cfg.Now,
		Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthPrivateKey: a}}
	return token.NewEngine(token.EngineConfig{Auth: auth, Issuer: cfg.Issuer, Policies: cfg.Policies, Now: cfg.Now, Tracer: cfg.Tracer,
		Grants: []token.Grant{token.ClientCredentials{WithRefresh: true}, cfg.Refresh}}), nil
}

// NewKeys returns the key source of CardCore applications: registered keys only, RSA
// keys of at least minRSABits.
func NewKeys(minRSABits int, now func() time.Time) *clientauth.Keys {
	return clientauth.NewKeys(clientauth.KeysConfig{Now: now, MinRSABits: minRSABits})
}

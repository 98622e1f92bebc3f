// Package candescent is the Candescent digital-banking dialect (docs/dialects/candescent.md):
// the V2 token endpoint, revocation, server-minted authorization codes and the legacy V1
// token endpoint with XML answers, over the same engine as the standard dialect. Its
// error answers come from one table (errors.go) mapping engine codes to CMN_900xx.
package candescent

import (
	"errors"
	"net/http"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/ttlcache"
	"github.com/jeton/jeton/token"
)

// Paths, relative to the dialect's prefix.
const (
	TokenPath     = "/oauth2/v1/token"
	RevokePath    = "/oauth2/v1/revoke"
	V1TokenPath   = "/v1/oauth/token"
	DefaultPrefix = "/candescent"
	dialectName   = "candescent"
)

// Defaults.
const (
	// DefaultV1TTL is the legacy V1 token's lifetime (Candescent's 30 minutes); a
	// client whose own lifetime is shorter keeps its own.
	DefaultV1TTL = 30 * time.Minute
	// DefaultAliasTTL is how long an institutionId resolution is cached.
	DefaultAliasTTL = time.Second
)

// Config wires the dialect.
type Config struct {
	Engine  *token.Engine
	Revoker *token.Revoker
	// Settings holds institution aliases and the V1 switch (jeton.Store).
	Settings SettingsSource
	// Customers finds the customer of a V1 password token (di_member_number).
	Customers CustomerSource
	// AliasTTL is how long an institutionId resolution is cached (default
	// DefaultAliasTTL; negative: not cached).
	AliasTTL time.Duration
	// V1TTL caps V1 access tokens' lifetime (default DefaultV1TTL).
	V1TTL time.Duration
	// Minter, when set, enables the server-side code endpoints.
	Minter *Minter
	Now    func() time.Time
}

// Dialect serves Candescent's endpoints.
type Dialect struct {
	cfg     Config
	inst    *institutions
	token   http.Handler // V2
	v1Token http.Handler
}

// New builds the dialect.
func New(cfg Config) (*Dialect, error) {
	if cfg.Engine == nil || cfg.Revoker == nil || cfg.Settings == nil || cfg.Customers == nil {
		return nil, errors.New("candescent: Engine, Revoker, Settings and Customers are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AliasTTL == 0 {
		cfg.AliasTTL = DefaultAliasTTL
	}
	if cfg.V1TTL <= 0 {
		cfg.V1TTL = DefaultV1TTL
	}
	inst := &institutions{src: cfg.Settings, now: cfg.Now}
	inst.cache.TTL = cfg.AliasTTL
	d := &Dialect{cfg: cfg, inst: inst}
	d.token = dialect.New(cfg.Engine, v2Codec{d}, dialect.Config{Dialect: dialectName, MaxBody: wire.MaxFormBytes})
	d.v1Token = dialect.New(cfg.Engine, v1Codec{d}, dialect.Config{Dialect: dialectName, MaxBody: wire.MaxFormBytes})
	return d, nil
}

// AliasStats are the lookups of the institutionId resolution cache (metrics).
func (d *Dialect) AliasStats() ttlcache.Stats { return d.inst.cache.Stats() }

// Name names the dialect in metrics route labels (httpapi.Mounter).
func (d *Dialect) Name() string { return dialectName }

// Mount registers the dialect's routes on mux under prefix ("" at the root of its own
// listener). Each path takes every method, so that a wrong one gets a CMN answer (and
// its transactionId echo) rather than the mux's plain-text 405.
func (d *Dialect) Mount(mux httpapi.Router, prefix string) {
	mux.Handle(prefix+TokenPath, d.token)
	mux.HandleFunc(prefix+RevokePath, d.revoke)
	mux.Handle(prefix+V1TokenPath, d.v1Token)
	if d.cfg.Minter != nil {
		mux.HandleFunc(prefix+ClientAuthorizationPath, d.clientAuthorization)
		if d.cfg.Minter.Codes != nil && d.cfg.Minter.Customers != nil {
			mux.HandleFunc(prefix+AuthCodePath, d.authCode)
		}
	}
}

// methodNotAllowed is the answer to a wrong method: CMN_90011 with 405 and Allow
// (RFC 9110 §15.5.6).
func methodNotAllowed(w http.ResponseWriter, allow string) *jeton.Error {
	w.Header().Set("Allow", allow)
	return &jeton.Error{Code: jeton.CodeInvalidRequest, Description: "method not allowed", Status: http.StatusMethodNotAllowed}
}

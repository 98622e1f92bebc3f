// Package cardcore is the CardCore dialect (docs/dialects/cardcore.md): CardCore's
// institution OAuth token endpoint and application management, answered in CardCore's
// {statusCode, message, data} envelope, over the same engine as every other dialect.
// An integrator whose code talks to CardCore points its base URL at jeton and changes
// nothing else.
package cardcore

import (
	"net/http"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

// Paths of the dialect, relative to its prefix.
const (
	TokenPath   = "/institutions/oauth/token"
	CreatePath  = "/institutions/oauth/create"
	AppPath     = "/institutions/oauth/{institutionId}"
	dialectName = "cardcore"
	// DefaultPrefix is where the dialect is mounted on the public listener.
	DefaultPrefix = "/cardcore"
)

// Config wires the dialect.
type Config struct {
	// Engine runs token requests; its authenticator verifies assertions with
	// AssertionProfile (cmd/jeton wires it).
	Engine *token.Engine
	// Store keeps applications, clients and institution keys.
	Store jeton.Store
	// Apps is the application cache shared with the assertion profile.
	Apps *Apps
	// Invalidate drops a client from the client cache after a change.
	Invalidate func(clientID string)
	// MinRSABits is the smallest RSA key accepted at registration (default 2048).
	MinRSABits int
	// AccessTokenTTL is the lifetime of new applications' access tokens (default 1 h).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is new applications' refresh families' absolute lifetime
	// (default 30 days).
	RefreshTokenTTL time.Duration
	Now             func() time.Time
}

// Dialect serves CardCore's endpoints.
type Dialect struct{ cfg Config }

// New builds the dialect and fills in defaults.
func New(cfg Config) *Dialect {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MinRSABits <= 0 {
		cfg.MinRSABits = 2048
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = time.Hour
	}
	if cfg.RefreshTokenTTL <= 0 {
		cfg.RefreshTokenTTL = 30 * 24 * time.Hour
	}
	if cfg.Invalidate == nil {
		cfg.Invalidate = func(string) {}
	}
	return &Dialect{cfg: cfg}
}

// Mount registers the routes under prefix ("" for the root of a listener of its own).
func (d *Dialect) Mount(mux *http.ServeMux, prefix string) {
	// GET is routed only to be answered 405 in the envelope.
	mux.HandleFunc("POST "+prefix+TokenPath, d.token)
	mux.HandleFunc("GET "+prefix+TokenPath, d.token)
	mux.HandleFunc("POST "+prefix+CreatePath, d.create)
	mux.HandleFunc("PUT "+prefix+AppPath, d.update)
	mux.HandleFunc("DELETE "+prefix+AppPath, d.remove)
}

// token is POST /institutions/oauth/token.
func (d *Dialect) token(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect = dialectName
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		err := &jeton.Error{Code: jeton.CodeInvalidRequest, Description: "the token endpoint accepts POST only", Status: http.StatusMethodNotAllowed}
		info.Err = err
		writeError(w, err)
		return
	}
	req, err := DecodeToken(r)
	info.Grant, info.ClientID = req.GrantType, req.Credentials.ClientID
	var res *token.Result
	if err == nil {
		res, err = d.cfg.Engine.Token(r.Context(), req)
	}
	var app jeton.CardCoreApp
	if err == nil {
		app, err = d.cfg.Apps.App(r.Context(), res.ClientID)
	}
	info.Err = err
	EncodeToken(w, req.GrantType, res, app, err)
}

// Package cardcore is the CardCore dialect (docs/dialects/cardcore.md): CardCore's
// institution OAuth token endpoint and application management, answered in CardCore's
// {statusCode, message, data} envelope, over the same engine as every other dialect.
// An integrator whose code talks to CardCore points its base URL at jeton and changes
// nothing else.
package cardcore

import (
	"net/http"
	"time"

	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/httpapi"
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
	Store Store
	// Apps is the application cache shared with the assertion profile.
	Apps *Apps
	// Invalidate drops a client from the client cache after a change.
	Invalidate func(clientID string)
	// Clients is the core's clients service: application management validates every
	// client it creates or changes with its Check, as the admin API does. Required.
	Clients *clients.Service
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
type Dialect struct {
	cfg   Config
	token http.Handler
}

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
	token := dialect.New(cfg.Engine, codec{cfg.Apps}, dialect.Config{Dialect: dialectName, MaxBody: MaxBodySize})
	return &Dialect{cfg: cfg, token: token}
}

// Name names the dialect in metrics route labels (httpapi.Mounter).
func (d *Dialect) Name() string { return dialectName }

// Mount registers the routes under prefix ("" for the root of a listener of its own).
func (d *Dialect) Mount(mux httpapi.Router, prefix string) {
	// Every other method is routed to the token endpoint only to be answered 405 in
	// the envelope (RFC 9110 §15.5.6). PUT and DELETE must be named: without them the
	// application routes' {institutionId} wildcard would match "token".
	mux.Handle("POST "+prefix+TokenPath, d.token)
	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		mux.Handle(m+" "+prefix+TokenPath, d.token)
	}
	mux.HandleFunc("POST "+prefix+CreatePath, d.create)
	mux.HandleFunc("PUT "+prefix+AppPath, d.update)
	mux.HandleFunc("DELETE "+prefix+AppPath, d.remove)
	// The management routes answer a wrong method in the envelope too, not in the
	// router's plain text. PUT and DELETE on CreatePath stay with the {institutionId}
	// routes, which the path also matches.
	for _, m := range []string{"GET", "PATCH", "OPTIONS"} {
		mux.Handle(m+" "+prefix+CreatePath, wrongMethod(http.MethodPost))
	}
	for _, m := range []string{"GET", "POST", "PATCH", "OPTIONS"} {
		mux.Handle(m+" "+prefix+AppPath, wrongMethod(http.MethodPut+", "+http.MethodDelete))
	}
}

// wrongMethod answers 405 in the envelope with the methods the path takes in Allow
// (RFC 9110 §15.5.6).
func wrongMethod(allow string) http.Handler {
	refusal := &apiError{http.StatusMethodNotAllowed, "this path accepts " + allow + " only", "invalid_request"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeAPIError(w, r, refusal)
	})
}

// codec is POST /institutions/oauth/token: a JSON body in, the envelope out. It keeps
// the client's application, whose identifiers the answer carries.
type codec struct{ apps *Apps }

var (
	_ dialect.Codec[cardcorestore.App]    = codec{}
	_ dialect.Finisher[cardcorestore.App] = codec{}
)

func (codec) Decode(_ *http.Request, body wire.Body) (token.Request, cardcorestore.App, error) {
	req, err := decodeToken(body)
	return req, cardcorestore.App{}, err
}

// Finish finds the application of the client a token was issued to.
func (c codec) Finish(r *http.Request, x dialect.Exchange[cardcorestore.App]) dialect.Exchange[cardcorestore.App] {
	if x.Err == nil {
		x.State, x.Err = c.apps.App(r.Context(), x.Result.ClientID)
	}
	return x
}

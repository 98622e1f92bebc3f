// Package oidc serves the customer-facing endpoints of OpenID Connect: authorization
// (RFC 6749 §4.1, OIDC Core §3.1) with its login, consent and error pages, pushed
// authorization requests (RFC 9126) and userinfo (OIDC Core §5.3). Codes are minted
// with token.IssueCode and exchanged at the token endpoint by the authorization_code
// grant. See docs/oidc.md.
package oidc

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/rar"
	"github.com/jeton/jeton/token"
)

// Paths, relative to the issuer.
const (
	AuthorizePath = "/oauth2/authorize"
	LoginPath     = "/oauth2/authorize/login"
	ConsentPath   = "/oauth2/authorize/consent"
	PARPath       = "/oauth2/par"
	UserinfoPath  = "/oauth2/userinfo"
	StaticPath    = "/oauth2/static/"
)

// Defaults for settings the issue leaves open (docs/oidc.md).
const (
	// DefaultSessionTTL is how long a sign-in lasts for later authorization requests.
	DefaultSessionTTL = time.Hour
	// PARTTL is a request_uri's lifetime (RFC 9126 §2.2; issue 4: 60 s).
	PARTTL = 60 * time.Second
	// maxParam bounds state, nonce and login_hint (DESIGN rule 4); the cookie that
	// carries a pending request must stay under browsers' 4 KiB limit.
	maxParam = 512
)

// Store is what the endpoints read and write (jeton.Store implements it).
type Store interface {
	jeton.OIDCStore
	GetCustomer(ctx context.Context, institutionID, id string) (jeton.Customer, error)
	GetInstitution(ctx context.Context, id string) (jeton.Institution, error)
	token.CodeStore
}

// Config wires the handler.
type Config struct {
	// Issuer is the public base URL: the "iss" of RFC 9207 and of ID tokens.
	Issuer  string
	Store   Store
	Clients clientauth.ClientSource
	// Engine authenticates clients at the PAR endpoint like the token endpoint.
	Engine *token.Engine
	// SignIn checks a customer's password (token.Password.SignIn): the password
	// grant's argon2id pool, lockout and timing rules.
	SignIn func(ctx context.Context, actor, institutionID, username, pw string, now time.Time) (jeton.Customer, error)
	// Introspector validates bearer tokens at userinfo.
	Introspector *token.Introspector
	// CookieKey seals the session cookie (AES-256-GCM); 32 bytes (SessionKey).
	CookieKey []byte
	// PreviousCookieKeys (SessionKey of each previous KEK, during a KEK rotation) open
	// cookies sealed before the KEK changed; they seal none.
	PreviousCookieKeys [][]byte
	// SessionTTL is how long a sign-in is remembered (default DefaultSessionTTL).
	SessionTTL time.Duration
	// SigningAlgs are the ID-token signing algs, for discovery.
	SigningAlgs []string
	Now         func() time.Time
	// Events, when set, is told of each request_uri refused at the authorization
	// endpoint (jeton.EventReplayRefused, reason request_uri).
	Events jeton.SecurityObserver
	// RequestObjects verifies signed request objects (RFC 9101) at the authorization
	// and PAR endpoints; nil refuses them (request_not_supported).
	RequestObjects *clientauth.RequestObjects
	// Details validates RFC 9396 authorization_details; nil refuses them.
	Details *rar.Registry
	// DPoP verifies DPoP proofs at PAR (binding the code, RFC 9449 §10) and userinfo
	// (RFC 9449 §7); nil: DPoP off.
	DPoP *dpop.Verifier
}

// Handler serves the endpoints. Build it with New.
type Handler struct {
	cfg     Config
	cookies *sealer
	pages   *pages
}

// New returns the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil || cfg.Clients == nil || cfg.Engine == nil || cfg.SignIn == nil || cfg.Introspector == nil {
		return nil, errors.New("oidc: Store, Clients, Engine, SignIn and Introspector are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	s, err := newSealer(cfg.CookieKey, !insecureOrigin(cfg.Issuer), cfg.PreviousCookieKeys...)
	if err != nil {
		return nil, err
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, cookies: s, pages: p}, nil
}

// insecureOrigin reports whether the issuer is plain-http localhost, the one case where
// the session cookie may go without Secure (browsers refuse Secure cookies over http).
func insecureOrigin(issuer string) bool {
	for _, p := range []string{"http://localhost", "http://127.0.0.1", "http://[::1]"} {
		if issuer == p || strings.HasPrefix(issuer, p+":") || strings.HasPrefix(issuer, p+"/") {
			return true
		}
	}
	return false
}

// Name names the dialect in metrics route labels (httpapi.Mounter).
func (h *Handler) Name() string { return "oidc" }

// Mount registers the routes under prefix (httpapi.Mounter).
func (h *Handler) Mount(mux httpapi.Router, prefix string) {
	mux.HandleFunc(prefix+AuthorizePath, h.authorize)
	mux.HandleFunc(prefix+LoginPath, h.login)
	mux.HandleFunc(prefix+ConsentPath, h.consent)
	mux.HandleFunc(prefix+PARPath, h.par)
	mux.HandleFunc(prefix+UserinfoPath, h.userinfo)
	mux.Handle("GET "+prefix+StaticPath, http.StripPrefix(prefix+StaticPath, staticHandler()))
}

// Metadata is what these endpoints add to discovery (OIDC Discovery 1.0 §3, RFC 8414
// §2, RFC 9126 §5, RFC 9207 §3, RFC 9101 §10.5, RFC 9396 §10).
func (h *Handler) Metadata() map[string]any {
	iss := h.cfg.Issuer
	m := map[string]any{
		"authorization_endpoint":                         iss + AuthorizePath,
		"userinfo_endpoint":                              iss + UserinfoPath,
		"pushed_authorization_request_endpoint":          iss + PARPath,
		"require_pushed_authorization_requests":          false,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          h.cfg.SigningAlgs,
		"code_challenge_methods_supported":               []string{token.PKCEMethodS256},
		"scopes_supported":                               []string{jeton.ScopeOpenID, jeton.ScopeProfile, jeton.ScopeEmail, jeton.ScopePhone, jeton.ScopeOfflineAccess},
		"claims_supported":                               claimsSupported(),
		"prompt_values_supported":                        []string{"none", "login", "consent"},
		"authorization_response_iss_parameter_supported": true,
		"request_parameter_supported":                    h.cfg.RequestObjects != nil,
		"request_uri_parameter_supported":                false, // only PAR's own URNs (RFC 9126 §5)
		"claims_parameter_supported":                     false,
		// RFC 9101 §10.5: per client (require_signed_request_object), not for all.
		"require_signed_request_object": false,
	}
	if h.cfg.RequestObjects != nil {
		m["request_object_signing_alg_values_supported"] = clientauth.RequestObjectAlgs() // RFC 9101 §10.5
	}
	if h.cfg.Details != nil {
		m["authorization_details_types_supported"] = h.cfg.Details.Types() // RFC 9396 §10
	}
	return m
}

func claimsSupported() []string {
	return []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "client_id",
		"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at",
		"email", "email_verified", "phone_number", "phone_number_verified"}
}

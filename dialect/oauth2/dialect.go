// Package oauth2 is the standard dialect: RFC 6749 token requests and answers, RFC 8414
// / OIDC Discovery metadata and the RFC 7517 JWK Set. The vendor dialects are adapters
// over the same engine; this one is the reference behaviour.
package oauth2

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/token"
)

// Config wires the dialect.
type Config struct {
	Engine *token.Engine
	// Issuer is the public base URL (RFC 8414 §2 "issuer"); endpoint URLs derive from it.
	Issuer string
	// AuthMethods are the enabled token-endpoint authentication methods.
	AuthMethods []jeton.AuthMethod
	// JWKS returns the current JWK Set document.
	JWKS func() []byte
	// JWKSMaxAge is how long clients may cache the JWK Set (seconds); keep it well
	// under the key publish delay so a successor is seen before it signs.
	JWKSMaxAge int
	// Introspector, when set, enables the introspection endpoint (RFC 7662).
	Introspector *token.Introspector
	// Revoker, when set, enables the revocation endpoint (RFC 7009).
	Revoker *token.Revoker
	// Metadata holds more discovery members, from the packages that serve other
	// endpoints (package oidc: authorization, userinfo, PAR). A member named here
	// replaces the dialect's own.
	Metadata map[string]any
	// DPoP, when set, reads DPoP proofs at the token endpoint and binds tokens to
	// their keys (RFC 9449).
	DPoP *dpop.Verifier
	// MTLS says client certificates reach the server (--tls-client-certs request, or
	// --client-cert-header behind a proxy): discovery then advertises RFC 8705.
	MTLS bool
}

// Dialect serves the standard endpoints.
type Dialect struct {
	cfg       Config
	discovery []byte
	token     http.Handler
}

// New builds the dialect; the discovery document is rendered once here.
func New(cfg Config) (*Dialect, error) {
	doc, err := json.Marshal(metadata(cfg))
	if err != nil {
		return nil, err
	}
	if doc, err = mergeMetadata(doc, cfg.Metadata); err != nil {
		return nil, err
	}
	token := dialect.New(cfg.Engine, codec{tokenURI: cfg.Issuer + TokenPath, dpop: cfg.DPoP}, dialect.Config{Dialect: dialectName, MaxBody: wire.MaxFormBytes})
	return &Dialect{cfg: cfg, discovery: doc, token: token}, nil
}

// Paths of the standard endpoints, relative to the issuer.
const (
	TokenPath      = "/oauth2/token"
	IntrospectPath = "/oauth2/introspect"
	RevokePath     = "/oauth2/revoke"
	JWKSPath       = "/.well-known/jwks.json"
	OIDCPath       = "/.well-known/openid-configuration"
	RFC8414Path    = "/.well-known/oauth-authorization-server"
	dialectName    = "oauth2"
	allowedMethod  = http.MethodPost
)

// Name names the dialect in metrics route labels (httpapi.Mounter).
func (d *Dialect) Name() string { return dialectName }

// Mount registers the dialect's routes on mux under prefix ("" for the root).
func (d *Dialect) Mount(mux httpapi.Router, prefix string) {
	mux.Handle(prefix+TokenPath, d.token)
	if d.cfg.Introspector != nil {
		mux.HandleFunc(prefix+IntrospectPath, d.introspect)
	}
	if d.cfg.Revoker != nil {
		mux.HandleFunc(prefix+RevokePath, d.revoke)
	}
	mux.HandleFunc("GET "+prefix+JWKSPath, d.jwks)
	mux.HandleFunc("GET "+prefix+OIDCPath, d.metadataDoc)
	mux.HandleFunc("GET "+prefix+RFC8414Path, d.metadataDoc)
}

// postOnly sets Allow and returns the 405 answer of an endpoint that takes POST only.
func postOnly(w http.ResponseWriter, endpoint string) *jeton.Error {
	w.Header().Set("Allow", allowedMethod)
	return &jeton.Error{Code: jeton.CodeInvalidRequest, Description: "the " + endpoint + " endpoint accepts POST only", Status: http.StatusMethodNotAllowed}
}

func (d *Dialect) jwks(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(d.cfg.JWKSMaxAge))
	_, _ = w.Write(d.cfg.JWKS())
}

func (d *Dialect) metadataDoc(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(d.discovery)
}

// serverMetadata is RFC 8414 §2 (a subset of OIDC Discovery 1.0 §3). It lists exactly
// what is enabled: endpoints and values for features not enabled are absent.
type serverMetadata struct {
	Issuer                 string   `json:"issuer"`
	TokenEndpoint          string   `json:"token_endpoint"`
	JWKSURI                string   `json:"jwks_uri"`
	ResponseTypesSupported []string `json:"response_types_supported"`
	GrantTypesSupported    []string `json:"grant_types_supported"`
	TokenAuthMethods       []string `json:"token_endpoint_auth_methods_supported"`
	TokenAuthSigningAlgs   []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	// RFC 8414 §2: present only when the endpoint is enabled; both authenticate
	// clients exactly like the token endpoint.
	IntrospectionEndpoint    string   `json:"introspection_endpoint,omitempty"`
	IntrospectionAuthMethods []string `json:"introspection_endpoint_auth_methods_supported,omitempty"`
	RevocationEndpoint       string   `json:"revocation_endpoint,omitempty"`
	RevocationAuthMethods    []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	// RFC 9449 §5.1: the algorithms a DPoP proof may use; absent without DPoP.
	DPoPSigningAlgs []string `json:"dpop_signing_alg_values_supported,omitempty"`
	// RFC 8705 §3.3 and §5: certificate-bound tokens, and where a client reaches the
	// endpoints with its certificate (the same URLs: the listener asks every client
	// for one and requires none).
	TLSCertBoundTokens bool              `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	MTLSAliases        map[string]string `json:"mtls_endpoint_aliases,omitempty"`
}

func metadata(cfg Config) serverMetadata {
	grants := cfg.Engine.GrantTypes()
	slices.Sort(grants)
	methods := make([]string, 0, len(cfg.AuthMethods))
	for _, m := range cfg.AuthMethods {
		methods = append(methods, string(m))
	}
	slices.Sort(methods)
	md := serverMetadata{
		Issuer:        cfg.Issuer,
		TokenEndpoint: cfg.Issuer + TokenPath,
		JWKSURI:       cfg.Issuer + JWKSPath,
		// RFC 8414 §2 makes this member REQUIRED; no authorization endpoint is enabled
		// yet, so no response type is supported.
		ResponseTypesSupported: []string{},
		GrantTypesSupported:    grants,
		TokenAuthMethods:       methods,
		TokenAuthSigningAlgs:   clientauth.SigningAlgs(cfg.AuthMethods),
	}
	if cfg.Introspector != nil {
		md.IntrospectionEndpoint, md.IntrospectionAuthMethods = cfg.Issuer+IntrospectPath, methods
	}
	if cfg.Revoker != nil {
		md.RevocationEndpoint, md.RevocationAuthMethods = cfg.Issuer+RevokePath, methods
	}
	if cfg.DPoP != nil {
		md.DPoPSigningAlgs = dpop.AlgNames()
	}
	if cfg.MTLS {
		md.TLSCertBoundTokens = true
		md.MTLSAliases = map[string]string{"token_endpoint": md.TokenEndpoint}
		if md.IntrospectionEndpoint != "" {
			md.MTLSAliases["introspection_endpoint"] = md.IntrospectionEndpoint
		}
		if md.RevocationEndpoint != "" {
			md.MTLSAliases["revocation_endpoint"] = md.RevocationEndpoint
		}
		for _, name := range []string{"userinfo_endpoint", "pushed_authorization_request_endpoint"} {
			if v, ok := cfg.Metadata[name].(string); ok {
				md.MTLSAliases[name] = v
			}
		}
	}
	return md
}

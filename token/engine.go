package token

import (
	"context"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

// Grant is one grant type's handler: step 4 of the pipeline, and only that.
type Grant interface {
	// Type is the grant_type value (RFC 6749 §4) the handler serves.
	Type() string
	Handle(ctx context.Context, req *ClientRequest) (*Authorization, error)
}

// Policy is an extra check of step 3 (e.g. an institution's working hours, rate
// limits). It runs after the built-in institution and scope checks.
type Policy interface {
	Check(ctx context.Context, req *ClientRequest) error
}

// Engine runs the pipeline. Build it with NewEngine; it is safe for concurrent use.
type Engine struct {
	auth     *clientauth.Authenticator
	grants   map[string]Grant
	policies []Policy
	issuer   *Issuer
	now      func() time.Time
}

// EngineConfig wires an Engine. Grants not listed are not enabled (DESIGN rule 4).
type EngineConfig struct {
	Auth     *clientauth.Authenticator
	Grants   []Grant
	Policies []Policy
	Issuer   *Issuer
	Now      func() time.Time
}

// NewEngine returns an engine with the given grants enabled.
func NewEngine(cfg EngineConfig) *Engine {
	e := &Engine{auth: cfg.Auth, policies: cfg.Policies, issuer: cfg.Issuer, now: cfg.Now, grants: map[string]Grant{}}
	if e.now == nil {
		e.now = time.Now
	}
	for _, g := range cfg.Grants {
		e.grants[g.Type()] = g
	}
	return e
}

// GrantTypes lists the enabled grant types (for discovery).
func (e *Engine) GrantTypes() []string {
	out := make([]string, 0, len(e.grants))
	for t := range e.grants {
		out = append(out, t)
	}
	return out
}

// Token runs the pipeline for one request. The error is always a *jeton.Error.
func (e *Engine) Token(ctx context.Context, req Request) (*Result, error) {
	grant, ok := e.grants[req.GrantType]
	if !ok {
		// RFC 6749 §5.2: unsupported_grant_type. Checked before authentication because
		// it reveals nothing about the client and costs nothing.
		return nil, jeton.Errorf(jeton.CodeUnsupportedGrantType, jeton.ReasonNone, "grant type is not supported").WithParam("grant_type")
	}
	cr, err := e.authorize(ctx, req) // steps 1-3
	if err != nil {
		return nil, jeton.AsError(err)
	}
	authz, err := grant.Handle(ctx, cr) // step 4
	if err != nil {
		return nil, jeton.AsError(err)
	}
	res, err := e.issuer.Issue(ctx, cr, authz) // step 5
	if err != nil {
		return nil, jeton.AsError(err)
	}
	return res, nil
}

// authorize is steps 1-3: authenticate, check the grant is allowed, apply policy.
func (e *Engine) authorize(ctx context.Context, req Request) (*ClientRequest, error) {
	client, err := e.auth.Authenticate(ctx, req.Credentials)
	if err != nil {
		return nil, err
	}
	if !client.AllowsGrant(req.GrantType) {
		// RFC 6749 §5.2 unauthorized_client.
		return nil, jeton.Errorf(jeton.CodeUnauthorizedClient, jeton.ReasonNone, "client is not allowed to use this grant type").WithParam("grant_type")
	}
	cr := &ClientRequest{Request: req, Client: client, Institution: req.InstitutionID, ScopeRequested: req.Scope != nil, Now: e.now()}
	if cr.Institution == "" {
		cr.Institution = client.InstitutionID
	} else if !client.ActsFor(cr.Institution) {
		return nil, jeton.Errorf(jeton.CodeUnauthorizedClient, jeton.ReasonInstitution, "client may not obtain tokens for this institution")
	}
	if cr.Scope, err = resolveScope(req.Scope, client); err != nil {
		return nil, err
	}
	for _, p := range e.policies {
		if err := p.Check(ctx, cr); err != nil {
			return nil, err
		}
	}
	return cr, nil
}

// Authenticate is step 1 alone, for the endpoints that authenticate a client like the
// token endpoint but issue nothing: introspection (RFC 7662 §2.1) and revocation
// (RFC 7009 §2.1). The error is always a *jeton.Error (invalid_client).
func (e *Engine) Authenticate(ctx context.Context, cred clientauth.Credentials) (*jeton.Client, error) {
	c, err := e.auth.Authenticate(ctx, cred)
	if err != nil {
		return nil, jeton.AsError(err)
	}
	return c, nil
}

package token

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/fapi2"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/rar"
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

// Gate is a Policy that also sees every request before authentication and every
// failed authentication: the rate limiter (package ratelimit). Admit refuses a
// request before step 1 costs anything (budgets of the address, and of failed
// authentications already spent); AuthFailed charges the failed-authentication
// budgets when step 1 fails, so a success pays nothing for them. A Gate among an
// engine's Policies is found by NewEngine.
type Gate interface {
	Policy
	Admit(ctx context.Context, req Request) error
	AuthFailed(ctx context.Context, req Request)
}

// Engine runs the pipeline. Build it with NewEngine; it is safe for concurrent use.
type Engine struct {
	auth     *clientauth.Authenticator
	grants   map[string]Grant
	policies []Policy
	gates    []Gate
	issuer   *Issuer
	now      func() time.Time
	details  *rar.Registry   // nil: authorization_details refused
	tracer   *tracing.Tracer // nil: tracing off
	dpop     *dpop.Verifier  // nil: DPoP proofs are not read
}

// EngineConfig wires an Engine. Grants not listed are not enabled (DESIGN rule 4).
type EngineConfig struct {
	Auth     *clientauth.Authenticator
	Grants   []Grant
	Policies []Policy
	Issuer   *Issuer
	Now      func() time.Time
	// Details validates RFC 9396 authorization_details in token requests; nil
	// refuses any.
	Details *rar.Registry
	// Tracer makes a span of each step (nil: tracing off, docs/operations.md "Traces").
	Tracer *tracing.Tracer
	// DPoP verifies DPoP proofs (RFC 9449); nil leaves every token a bearer token.
	DPoP *dpop.Verifier
}

// The spans of the pipeline's steps, children of the request's span.
const (
	SpanGates        = "engine.gates"        // the gates' Admit, before step 1
	SpanAuthenticate = "engine.authenticate" // step 1
	SpanPolicies     = "engine.policies"     // steps 2-3: grant allowed, institution, scope, policies
	SpanGrant        = "engine.grant"        // step 4, with the grant type
	SpanIssue        = "engine.issue"        // step 5: sign (or store) the token, start a refresh family
)

// NewEngine returns an engine with the given grants enabled.
func NewEngine(cfg EngineConfig) *Engine {
	e := &Engine{auth: cfg.Auth, policies: cfg.Policies, issuer: cfg.Issuer, now: cfg.Now, details: cfg.Details, tracer: cfg.Tracer, dpop: cfg.DPoP, grants: map[string]Grant{}}
	if e.now == nil {
		e.now = time.Now
	}
	for _, g := range cfg.Grants {
		e.grants[g.Type()] = g
	}
	for _, p := range cfg.Policies {
		if g, ok := p.(Gate); ok {
			e.gates = append(e.gates, g)
		}
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

// scopeBounded is a grant that continues an earlier grant (refresh_token): step 3
// bounds its scope by what was granted then (RFC 6749 §6), which only the grant can
// read. grantedScope reads it (keeping what Handle needs in req) and returns its scope;
// its errors are the grant's own (invalid_grant). It writes only what Handle would
// write next, and only once nothing before Handle can refuse the request: the refresh
// grant's one-call claim checks the requested scope against the granted one itself.
type scopeBounded interface {
	grantedScope(ctx context.Context, req *ClientRequest) ([]string, error)
}

// storesNothing marks a grant whose Handle reads and writes no stored state: it
// decides from the authenticated request alone (client_credentials).
type storesNothing interface{ storesNothing() }

// Token runs the pipeline for one request. The error is always a *jeton.Error.
//
// For a grant that stores nothing, a client assertion's single-use record (step 1)
// commits while steps 2-5 run (clientauth.Pending.Start), and Token waits for it
// before it answers. A replayed assertion still gets step 1's invalid_client, and what
// steps 4-5 made for it never leaves the server: its refresh family, if one was
// started, is revoked (withdraw). Other grants write the record within step 1, since
// their handlers spend codes, rotate refresh tokens or count password failures.
func (e *Engine) Token(ctx context.Context, req Request) (*Result, error) {
	grant, ok := e.grants[req.GrantType]
	if !ok {
		// RFC 6749 §5.2: unsupported_grant_type. Checked before authentication because
		// it reveals nothing about the client and costs nothing.
		return nil, jeton.Errorf(jeton.CodeUnsupportedGrantType, jeton.ReasonNone, "grant type is not supported").WithParam("grant_type")
	}
	client, record, err := e.authenticate(ctx, req) // step 1
	if err != nil {
		return nil, err
	}
	_, overlap := grant.(storesNothing)
	if overlap {
		record.Start(ctx)
	} else if err := record.Wait(ctx); err != nil {
		e.authFailed(ctx, req, err)
		return nil, jeton.AsError(err)
	}
	cnf, proof, err := e.senderProof(ctx, req, client)
	if err == nil {
		err = profileRules(client, req, cnf)
	}
	if err != nil {
		// A started record is not left behind, and a replayed assertion is reported
		// (and charged) as the invalid_client it is, before the proof's error.
		_ = proof.Wait()
		if perr := record.Wait(ctx); perr != nil {
			e.authFailed(ctx, req, perr)
			return nil, jeton.AsError(perr)
		}
		return nil, jeton.AsError(err)
	}
	if !overlap {
		// Codes are spent and refresh tokens rotated only for a fresh proof.
		if err := proof.Wait(); err != nil {
			return nil, jeton.AsError(err)
		}
	}
	res, authz, err := e.run(ctx, grant, req, client, cnf, &record)
	if perr := record.Wait(ctx); perr != nil {
		e.withdraw(ctx, authz)
		e.authFailed(ctx, req, perr)
		return nil, jeton.AsError(perr)
	}
	if perr := proof.Wait(); perr != nil {
		e.withdraw(ctx, authz)
		return nil, jeton.AsError(perr)
	}
	if err != nil {
		return nil, jeton.AsError(err)
	}
	return res, nil
}

// authenticate is step 1 behind the gates: Admit before, AuthFailed after a failure.
// A replayed assertion (Pending) is charged by the caller that waits for it.
func (e *Engine) authenticate(ctx context.Context, req Request) (*jeton.Client, clientauth.Pending, error) {
	if err := e.admit(ctx, req); err != nil {
		return nil, clientauth.Pending{}, jeton.AsError(err)
	}
	actx, span := e.tracer.Start(ctx, SpanAuthenticate)
	client, record, err := e.auth.Authenticate(actx, req.Credentials)
	span.End(err)
	if err != nil {
		e.authFailed(ctx, req, err)
		return nil, record, jeton.AsError(err)
	}
	return client, record, nil
}

// admit asks every gate to let req in before it costs anything.
func (e *Engine) admit(ctx context.Context, req Request) (err error) {
	if len(e.gates) == 0 {
		return nil
	}
	ctx, span := e.tracer.Start(ctx, SpanGates)
	for _, g := range e.gates {
		if err = g.Admit(ctx, req); err != nil {
			break
		}
	}
	span.End(err)
	return err
}

// authFailed charges the gates for a failed client authentication (invalid_client).
func (e *Engine) authFailed(ctx context.Context, req Request, err error) {
	if jeton.AsError(err).Code != jeton.CodeInvalidClient {
		return
	}
	for _, g := range e.gates {
		g.AuthFailed(ctx, req)
	}
}

// run is steps 2-5 for the client step 1 returned with record.
func (e *Engine) run(ctx context.Context, grant Grant, req Request, client *jeton.Client, cnf jeton.Confirmation, record *clientauth.Pending) (*Result, *Authorization, error) {
	pctx, span := e.tracer.Start(ctx, SpanPolicies)
	cr, err := e.authorize(pctx, grant, req, client, cnf) // steps 2-3
	span.End(err)
	if err != nil {
		return nil, nil, err
	}
	if cr.Client.MaxActiveTokens > 0 {
		// A capped client's token slot stays taken once claimed (step 5), so claim
		// one only for an assertion known to be fresh.
		if err := record.Wait(ctx); err != nil {
			return nil, nil, err
		}
	}
	// Step 4, its span named by the grant type: a registered one, so a closed set.
	gctx, span := e.tracer.Start(ctx, SpanGrant)
	span.SetString(tracing.KeyGrantType, req.GrantType)
	authz, err := grant.Handle(gctx, cr)
	span.End(err)
	if err != nil {
		return nil, nil, err
	}
	authz.Confirmation = cr.Confirmation
	ictx, span := e.tracer.Start(ctx, SpanIssue)
	res, err := e.issuer.Issue(ictx, cr, authz) // step 5
	span.End(err)
	return res, authz, err
}

// withdraw revokes the refresh family that step 5 started for a request whose
// authentication failed after all. Its token was never sent, so nobody could use it;
// revoking it keeps a replay from leaving even an unreachable live family behind. A
// failure here is ignored for the same reason.
func (e *Engine) withdraw(ctx context.Context, authz *Authorization) {
	if authz == nil || !authz.Refresh || authz.FamilyID == "" || e.issuer.RefreshFamilies == nil {
		return
	}
	_ = e.issuer.RefreshFamilies.RevokeRefreshFamily(context.WithoutCancel(ctx), authz.FamilyID, e.now())
}

// authorize is steps 2-3: check the grant is allowed, resolve institution and scope,
// apply policy. Step 3 is the one owner of the scope: the client's allowed scopes
// (RFC 6749 §3.3), then, for a grant that continues an earlier one, that grant's scope
// (RFC 6749 §6), read after the policies as the handler did before.
func (e *Engine) authorize(ctx context.Context, grant Grant, req Request, client *jeton.Client, cnf jeton.Confirmation) (*ClientRequest, error) {
	if !client.AllowsGrant(req.GrantType) {
		// RFC 6749 §5.2 unauthorized_client.
		return nil, jeton.Errorf(jeton.CodeUnauthorizedClient, jeton.ReasonNone, "client is not allowed to use this grant type").WithParam("grant_type")
	}
	cr := &ClientRequest{Request: req, Client: client, Institution: req.InstitutionID, Now: e.now(), Confirmation: cnf}
	if cr.Institution == "" {
		cr.Institution = client.InstitutionID
	} else if !client.ActsFor(cr.Institution) {
		return nil, jeton.Errorf(jeton.CodeUnauthorizedClient, jeton.ReasonInstitution, "client may not obtain tokens for this institution")
	}
	var err error
	if cr.Scope, err = resolveScope(req.Scope, client); err != nil {
		return nil, err
	}
	if cr.AuthorizationDetails, err = e.parseDetails(req, client); err != nil {
		return nil, err
	}
	for _, p := range e.policies {
		if err := p.Check(ctx, cr); err != nil {
			return nil, err
		}
	}
	if b, ok := grant.(scopeBounded); ok {
		granted, err := b.grantedScope(ctx, cr)
		if err != nil {
			return nil, err
		}
		if cr.Scope, err = narrowScope(req.Scope, granted); err != nil {
			return nil, err
		}
		if cr.refresh != nil {
			// RFC 9396 §7.1: before the token is rotated, so a refused request
			// costs the client nothing.
			if cr.AuthorizationDetails, err = narrowDetails(cr.AuthorizationDetails, cr.refresh.fam.AuthorizationDetails); err != nil {
				return nil, err
			}
		}
	}
	return cr, nil
}

// parseDetails validates the request's authorization_details (RFC 9396 §6) against
// the client's registered types and their schemas. Only the grants that carry them
// accept any: client_credentials (§6.2), and authorization_code and refresh_token,
// which narrow what the customer approved (§6.1, §7.1). Any other grant (password)
// would put in a token what no customer saw, so it is refused.
func (e *Engine) parseDetails(req Request, c *jeton.Client) (json.RawMessage, error) {
	if req.AuthorizationDetails == "" {
		return nil, nil
	}
	switch req.GrantType {
	case jeton.GrantClientCredentials, jeton.GrantAuthorizationCode, jeton.GrantRefreshToken:
	default:
		return nil, rar.Fail("authorization_details are not accepted with the %s grant", req.GrantType)
	}
	if e.details == nil {
		return nil, rar.Fail("authorization_details are not supported")
	}
	d, err := e.details.Parse(req.AuthorizationDetails, c.AuthorizationDetailsTypes)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// narrowDetails is rar.Narrow with the engine's error type.
func narrowDetails(requested, granted json.RawMessage) (json.RawMessage, error) {
	d, err := rar.Narrow(requested, granted)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Authenticate is step 1 alone, for the endpoints that authenticate a client like the
// token endpoint but issue nothing: introspection (RFC 7662 §2.1) and revocation
// (RFC 7009 §2.1). The error is always a *jeton.Error (invalid_client).
func (e *Engine) Authenticate(ctx context.Context, cred clientauth.Credentials) (*jeton.Client, error) {
	req := Request{Credentials: cred}
	c, record, err := e.authenticate(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := record.Wait(ctx); err != nil {
		e.authFailed(ctx, req, err)
		return nil, jeton.AsError(err)
	}
	if err := fapi2.ClientAuth(c, cred.Assertion); err != nil {
		return nil, err // the client's profile (FAPI 2.0 §5.3.2.1, §5.4)
	}
	return c, nil
}

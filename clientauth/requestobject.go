package clientauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
)

// DefaultRequestObjectLifetime bounds exp - nbf (or iat, or now) of a request object:
// FAPI 2.0 Message Signing §5.3.2 allows at most 60 minutes; it also bounds how long
// a jti is remembered.
const DefaultRequestObjectLifetime = 60 * time.Minute

// requestObjectJTIPrefix keeps request-object jtis apart from client-assertion jtis in
// the one replay store: the same jti in both kinds of JWT is two different uses.
const requestObjectJTIPrefix = "request_object:"

// requestObjectTypes are the typ headers a request object may carry: none, the
// generic JWT, or RFC 9101 §10.8's explicit type. Any other typ (an at+jwt, a
// dpop+jwt) is another kind of JWT and is refused, so one JWT cannot pass for another.
var requestObjectTypes = []string{"", "JWT", "oauth-authz-req+jwt", "application/oauth-authz-req+jwt"}

// RequestObjectAlgs are the JWS algorithms a request object may be signed with: the
// asymmetric ones of private_key_jwt. jeton refuses "none" (an unsigned object proves
// nothing) and refuses HMAC even for client_secret_jwt clients: an HS256 object keyed
// with the client secret verifies for anyone who holds that secret, jeton included, so
// it gives none of the source authentication and non-repudiation RFC 9101 §1 and
// §10.2 seek, and FAPI 2.0 Message Signing §5.4 allows PS256, ES256 and EdDSA only.
func RequestObjectAlgs() []string {
	out := make([]string, len(privateKeyAlgs))
	for i, a := range privateKeyAlgs {
		out[i] = string(a)
	}
	return out
}

// RequestObjectConfig configures RequestObjects.
type RequestObjectConfig struct {
	// Issuer is the server's issuer identifier: a request object's aud must name it
	// (RFC 9101 §4, §6.3; OIDC Core §6.1). Required.
	Issuer string
	// MaxLifetime bounds exp - nbf (default DefaultRequestObjectLifetime).
	MaxLifetime time.Duration
	// Skew is the clock difference tolerated for exp, nbf and iat (default 60 s).
	Skew time.Duration
	Now  func() time.Time
	// Replay records each jti until the object expires (the client assertions'
	// store). Required.
	Replay jeton.AssertionStore
	// Keys gives the clients' registered public keys. Required.
	Keys KeySource
	// Events, when set, is told of each replayed request object.
	Events jeton.SecurityObserver
}

// RequestObjects verifies signed request objects (RFC 9101 §6) with the client's
// registered keys and the client assertions' algorithm rules and replay store.
type RequestObjects struct {
	a      *Assertion // its key lookup and clock settings
	issuer string
	events jeton.SecurityObserver
}

// NewRequestObjects checks cfg and fills in the defaults.
func NewRequestObjects(cfg RequestObjectConfig) (*RequestObjects, error) {
	if cfg.Issuer == "" || cfg.Keys == nil {
		return nil, errors.New("clientauth: request objects need the issuer and a key source")
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = DefaultRequestObjectLifetime
	}
	a, err := NewAssertion(AssertionConfig{Audiences: []string{cfg.Issuer}, MaxLifetime: cfg.MaxLifetime,
		Skew: cfg.Skew, Now: cfg.Now, Replay: cfg.Replay, Keys: cfg.Keys})
	if err != nil {
		return nil, err
	}
	return &RequestObjects{a: a, issuer: cfg.Issuer, events: cfg.Events}, nil
}

// badObject is OIDC Core §3.1.2.6 invalid_request_object (RFC 9101 §6.3).
func badObject(format string, args ...any) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidRequestObject, jeton.ReasonBadAssertion, format, args...).WithParam("request")
}

// objectClaims are the JWT claims RFC 9101 §4 and §6.3 have jeton check.
type objectClaims struct {
	Issuer    string           `json:"iss"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ID        string           `json:"jti"`
	ClientID  *string          `json:"client_id"`
}

// Verify checks the request object raw of client c and returns its claims (the
// authorization request's parameters and the JWT claims), decoded with numbers as
// json.Number. Checks run cheapest first, and the jti is recorded last, so an object
// that fails any check does not use up its jti. Every refusal is
// invalid_request_object; a store failure is server_error.
func (r *RequestObjects) Verify(ctx context.Context, c *jeton.Client, raw string) (map[string]any, error) {
	if strings.Count(raw, ".") == 4 {
		return nil, badObject("encrypted request objects (JWE) are not supported; sign it (JWS)")
	}
	rawHdr, _, err := split(raw)
	if err != nil {
		return nil, badObject("request is not a JWS in compact serialization")
	}
	hdr, err := peekHeader(rawHdr)
	if err != nil {
		return nil, badObject("%s", err.Error())
	}
	if hdr.Crit {
		return nil, badObject("JWS has a crit header; no extension is supported (RFC 7515 §4.1.11)")
	}
	if !slices.Contains(privateKeyAlgs, jose.SignatureAlgorithm(hdr.Alg)) {
		return nil, badObject("alg %.20q is not allowed for request objects; use %s", hdr.Alg, strings.Join(RequestObjectAlgs(), ", "))
	}
	if len(c.PublicKeys) == 0 && c.JWKSURI == "" {
		return nil, badObject("the client has no registered public key to verify request objects with")
	}
	tok, err := jwt.ParseSigned(raw, privateKeyAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return nil, badObject("request is not a signed JWT")
	}
	if typ, _ := tok.Headers[0].ExtraHeaders[jose.HeaderType].(string); !slices.ContainsFunc(requestObjectTypes, func(t string) bool { return strings.EqualFold(t, typ) }) {
		return nil, badObject("typ %.40q is not a request object's (RFC 9101 §10.8)", typ)
	}
	var cl objectClaims
	if err := r.a.verifyWithKeys(ctx, c, tok, jose.SignatureAlgorithm(hdr.Alg), hdr.Kid, &cl); err != nil {
		var pe *jeton.Error
		if errors.As(err, &pe) && pe.Code == jeton.CodeServerError {
			return nil, err
		}
		return nil, badObject("signature does not verify with the client's registered keys")
	}
	now := r.a.cfg.Now()
	exp, err := r.checkClaims(c, &cl, now)
	if err != nil {
		return nil, err
	}
	claims := map[string]any{}
	if err := decodeClaims(tok, &claims); err != nil {
		return nil, badObject("claims are not a JSON object")
	}
	return claims, r.use(ctx, c, cl.ID, exp, now)
}

// checkClaims applies RFC 9101 §4 and §6.3 (and OIDC Core §6.1): iss is the client,
// aud is this server, client_id is the client, exp is present and not past, nbf and
// iat not in the future (by more than Skew; 59 s at most for a FAPI 2.0 client,
// fapi2.FutureSkew: FAPI 2.0 §5.3.2.1), the lifetime bounded, a jti present. It returns
// the expiry.
func (r *RequestObjects) checkClaims(c *jeton.Client, cl *objectClaims, now time.Time) (time.Time, error) {
	skew := r.a.cfg.Skew
	switch {
	case cl.Issuer != c.ID:
		return time.Time{}, badObject("iss is not the client id (RFC 9101 §4)")
	case !slices.Contains(cl.Audience, r.issuer):
		return time.Time{}, badObject("aud does not name this server's issuer (RFC 9101 §4)")
	case cl.ClientID == nil || *cl.ClientID != c.ID:
		return time.Time{}, badObject("client_id in the request object is missing or is not the request's client_id (RFC 9101 §5)")
	case cl.Expiry == nil:
		return time.Time{}, badObject("exp is missing")
	case cl.ID == "":
		return time.Time{}, badObject("jti is missing: jeton accepts each request object once")
	case len(cl.ID) > maxJTILen:
		return time.Time{}, badObject("jti is over %d bytes", maxJTILen)
	}
	exp := cl.Expiry.Time()
	if !exp.After(now.Add(-skew)) {
		return time.Time{}, jeton.Errorf(jeton.CodeInvalidRequestObject, jeton.ReasonExpired, "request object expired").WithParam("request")
	}
	start, future := now, fapi2.FutureSkew(c, skew) // FAPI 2.0 §5.3.2.1 for a FAPI 2.0 client
	for _, d := range []*jwt.NumericDate{cl.NotBefore, cl.IssuedAt} {
		if d == nil {
			continue
		}
		if t := d.Time(); t.After(now.Add(future)) {
			return time.Time{}, badObject("nbf or iat is in the future")
		} else if t.Before(start) {
			start = t
		}
	}
	if exp.Sub(start) > r.a.cfg.MaxLifetime {
		return time.Time{}, badObject("request object lifetime is over %v", r.a.cfg.MaxLifetime)
	}
	return exp, nil
}

// use records the jti until the object can no longer be accepted: one atomic store
// call (jeton.AssertionStore.UseAssertionID), so a replay is refused on every
// replica.
func (r *RequestObjects) use(ctx context.Context, c *jeton.Client, jti string, exp, now time.Time) error {
	err := r.a.cfg.Replay.UseAssertionID(ctx, c.ID, requestObjectJTIPrefix+jti, exp.Add(r.a.cfg.Skew), now)
	switch {
	case errors.Is(err, jeton.ErrAlreadyUsed):
		if r.events != nil {
			r.events.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventReplayRefused, Reason: jeton.EventReasonRequestObject,
				At: now, InstitutionID: c.InstitutionID, ClientID: c.ID})
		}
		return jeton.Errorf(jeton.CodeInvalidRequestObject, jeton.ReasonReplay, "request object was used before; sign a new one (with a new jti) for every request").WithParam("request")
	case err != nil:
		return jeton.ServerError(fmt.Errorf("record request object jti: %w", err))
	}
	return nil
}

// decodeClaims reads the verified claims with numbers kept as written.
func decodeClaims(tok *jwt.JSONWebToken, out *map[string]any) error {
	var raw json.RawMessage
	if err := tok.UnsafeClaimsWithoutVerification(&raw); err != nil {
		return err
	}
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	return d.Decode(out)
}

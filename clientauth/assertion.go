package clientauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
)

// Assertion defaults.
const (
	DefaultAssertionLifetime = time.Hour
	DefaultAssertionSkew     = 60 * time.Second
	// maxJTILen bounds the jti stored per assertion.
	maxJTILen = 256
)

// privateKeyAlgs are the JWS algorithms a private_key_jwt assertion may use (RFC 7518
// §3.3, §3.4, §3.5, RFC 8037 §3.1). No HMAC: with a public key, "HS256" would make
// the public key the MAC key, which anyone can compute.
var privateKeyAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA}

// secretAlgs are those of a client_secret_jwt assertion (OIDC Core §9): HS256 only.
var secretAlgs = []jose.SignatureAlgorithm{jose.HS256}

// AssertionConfig configures Assertion.
type AssertionConfig struct {
	// Audiences are the values one of which an assertion's aud must hold (RFC 7523 §3
	// item 3): typically the issuer and the token endpoint URL. Required.
	Audiences []string
	// MaxLifetime bounds exp - iat (exp - now without iat). Default 1 hour.
	MaxLifetime time.Duration
	// Skew is the clock difference tolerated for exp, nbf and iat. Default 60 s.
	Skew time.Duration
	Now  func() time.Time
	// Replay records each jti until its assertion expires. Required.
	Replay jeton.AssertionStore
	// Keys gives private_key_jwt clients' public keys; nil refuses that method.
	Keys KeySource
	// OpenSecret unseals a client_secret_jwt client's sealed secret (SecretSealed,
	// PreviousSecretSealed) for clientID, e.g. keys.SecretSealer.Open; nil refuses
	// that method.
	OpenSecret func(clientID string, sealed []byte) ([]byte, error)
	// Profile, when set, replaces RFC 7523's claim rules with a vendor's (profile.go).
	Profile *Profile
	// RequireLowS refuses ES256 signatures in high-S form (lows.go). Off by default:
	// RFC 7518 §3.4 accepts both forms, and most signers (Go's crypto/ecdsa, OpenSSL,
	// Java) make high-S half the time. Replays are refused either way, because the
	// replay key never includes the signature.
	RequireLowS bool
	// Events, when set, is told of each replayed assertion (jeton.EventReplayRefused,
	// reason assertion_jti).
	Events jeton.SecurityObserver
}

// Assertion verifies JWT client assertions (RFC 7521 §4.2, RFC 7523 §2.2 and §3) for
// both private_key_jwt (signed with one of the client's public keys) and
// client_secret_jwt (HS256 with the client secret, OIDC Core §9). Register it in the
// Authenticator for both methods; the client's registration says which applies.
type Assertion struct {
	cfg AssertionConfig
}

// NewAssertion checks cfg and fills in the defaults.
func NewAssertion(cfg AssertionConfig) (*Assertion, error) {
	if len(cfg.Audiences) == 0 {
		return nil, errors.New("clientauth: assertion audiences are required")
	}
	if cfg.Replay == nil {
		return nil, errors.New("clientauth: an assertion replay store is required")
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = DefaultAssertionLifetime
	}
	if cfg.Skew <= 0 {
		cfg.Skew = DefaultAssertionSkew
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Audiences = slices.Clone(cfg.Audiences)
	return &Assertion{cfg: cfg}, nil
}

func bad(format string, args ...any) *jeton.Error {
	return failed(jeton.ReasonBadAssertion, fmt.Errorf(format, args...))
}

// Verify implements Method. Checks run cheapest first, and the jti is recorded only
// after the signature and every claim passed, so forged assertions cannot use up a
// client's jtis.
func (a *Assertion) Verify(ctx context.Context, c *jeton.Client, cred Credentials) (rec Pending, err error) {
	if a.cfg.Profile != nil {
		defer func() { stated(err) }()
	}
	// Structure and size before any JSON or crypto (RFC 7515 §7.1), decoded once per
	// request: a dialect that peeked at sub already did it (Credentials.PeekClientID).
	hdr, err := cred.header()
	if err != nil {
		return Pending{}, failed(jeton.ReasonBadAssertion, err)
	}
	if hdr.Crit {
		return Pending{}, bad("JWS has a crit header; no extension is supported (RFC 7515 §4.1.11)")
	}
	var algs []jose.SignatureAlgorithm
	switch c.AuthMethod {
	case jeton.AuthPrivateKey:
		algs = privateKeyAlgs
		if p := a.cfg.Profile; p != nil && p.Algs != nil {
			algs = p.Algs
		}
	case jeton.AuthSecretJWT:
		algs = secretAlgs
	default:
		return Pending{}, failed(jeton.ReasonWrongAuthMethod, errors.New("client is not registered for a JWT method"))
	}
	if !slices.Contains(algs, jose.SignatureAlgorithm(hdr.Alg)) {
		return Pending{}, bad("alg %.20q is not allowed for %s", hdr.Alg, c.AuthMethod)
	}
	tok, err := jwt.ParseSigned(cred.Assertion, algs)
	if err != nil || len(tok.Headers) != 1 {
		return Pending{}, bad("JWS does not parse")
	}
	alg := jose.SignatureAlgorithm(tok.Headers[0].Algorithm)
	if alg == jose.ES256 && a.cfg.RequireLowS {
		if err := checkLowS(cred.Assertion); err != nil {
			return Pending{}, failed(jeton.ReasonBadAssertion, err) // lows.go
		}
	}

	if a.cfg.Profile != nil {
		return a.verifyProfile(ctx, c, cred, tok, alg, hdr.Kid)
	}
	var claims jwt.Claims
	if c.AuthMethod == jeton.AuthPrivateKey {
		err = a.verifyWithKeys(ctx, c, tok, alg, hdr.Kid, &claims)
	} else {
		err = a.verifyWithSecrets(c, tok, &claims)
	}
	if err != nil {
		return Pending{}, err
	}
	now := a.cfg.Now()
	exp, err := a.checkClaims(c, cred, &claims, c.ID, now)
	if err != nil {
		return Pending{}, err
	}
	return a.record(c, claims.ID, exp, now), nil
}

// record is the jti's single-use record (RFC 7523 §3 item 7), kept until exp + Skew,
// the last instant the assertion would be accepted. The caller writes it (Pending).
func (a *Assertion) record(c *jeton.Client, jti string, exp, now time.Time) Pending {
	return Pending{a: a, clientID: c.ID, institutionID: c.InstitutionID, jti: jti, until: exp.Add(a.cfg.Skew), now: now}
}

// replayErr turns the replay store's answer for p into authentication's, and reports
// a replay.
func (a *Assertion) replayErr(ctx context.Context, p *Pending, err error) error {
	switch {
	case errors.Is(err, jeton.ErrAlreadyUsed):
		if a.cfg.Events != nil {
			a.cfg.Events.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventReplayRefused, Reason: jeton.EventReasonAssertionJTI,
				At: p.now, InstitutionID: p.institutionID, ClientID: p.clientID})
		}
		cause := "assertion jti was used before"
		if a.cfg.Profile != nil {
			cause = "assertion was used before; sign a new one for every request"
		}
		err = failed(jeton.ReasonReplay, errors.New(cause))
	case err != nil:
		err = jeton.ServerError(fmt.Errorf("record assertion jti: %w", err))
	}
	if a.cfg.Profile != nil {
		stated(err)
	}
	return err
}

// checkClaims applies RFC 7523 §3 to verified claims and returns the expiry. iss must
// equal issuer (the client id, or what a Profile says; "" takes any non-empty one).
// nbf and iat may be up to Skew in the future, at most 59 s for a FAPI 2.0 client
// (fapi2.FutureSkew: FAPI 2.0 §5.3.2.1).
func (a *Assertion) checkClaims(c *jeton.Client, cred Credentials, cl *jwt.Claims, issuer string, now time.Time) (time.Time, error) {
	skew := a.cfg.Skew
	switch {
	case cl.Issuer == "" || (issuer != "" && cl.Issuer != issuer):
		if issuer == c.ID {
			return time.Time{}, bad("iss is not the client id (RFC 7523 §3 item 1)")
		}
		return time.Time{}, bad("iss is not the application's registered website URL (RFC 7523 §3 item 1)")
	case cl.Subject != c.ID:
		return time.Time{}, bad("sub is not the client id (RFC 7523 §3 item 2)")
	case cred.ClientID != "" && cred.ClientID != c.ID:
		return time.Time{}, bad("client_id does not match the assertion (RFC 7521 §4.2)")
	case !slices.ContainsFunc(cl.Audience, func(aud string) bool { return slices.Contains(a.cfg.Audiences, aud) }):
		return time.Time{}, bad("aud names none of this server's identifiers (RFC 7523 §3 item 3)")
	case cl.Expiry == nil:
		return time.Time{}, bad("exp is missing (RFC 7523 §3 item 4)")
	case cl.ID == "" && a.cfg.Profile == nil:
		return time.Time{}, bad("jti is missing (RFC 7523 §3 item 7)")
	case len(cl.ID) > maxJTILen:
		return time.Time{}, bad("jti is over %d bytes", maxJTILen)
	}
	exp := cl.Expiry.Time()
	if !exp.After(now.Add(-skew)) {
		return time.Time{}, failed(jeton.ReasonExpired, errors.New("assertion expired (RFC 7523 §3 item 4)"))
	}
	future := fapi2.FutureSkew(c, skew) // FAPI 2.0 §5.3.2.1 for a FAPI 2.0 client
	if cl.NotBefore != nil && cl.NotBefore.Time().After(now.Add(future)) {
		return time.Time{}, bad("nbf is in the future (RFC 7523 §3 item 5)")
	}
	start := now
	if cl.IssuedAt != nil {
		start = cl.IssuedAt.Time()
		if start.After(now.Add(future)) {
			return time.Time{}, bad("iat is in the future (RFC 7523 §3 item 6)")
		}
	}
	if exp.Sub(start) > a.cfg.MaxLifetime {
		// RFC 7523 §3 item 6 lets the server reject assertions issued too long ago;
		// bounding the whole lifetime also bounds how long a jti must be stored.
		return time.Time{}, bad("assertion lifetime is over %v", a.cfg.MaxLifetime)
	}
	return exp, nil
}

// verifyWithKeys tries the client's keys that fit alg: the one named by kid, or each
// one when the header names none. A kid no key has is refused, after one refresh of a
// jwks_uri set (the client may just have rotated).
func (a *Assertion) verifyWithKeys(ctx context.Context, c *jeton.Client, tok *jwt.JSONWebToken, alg jose.SignatureAlgorithm, kid string, claims any) error {
	if a.cfg.Keys == nil {
		return failed(jeton.ReasonWrongAuthMethod, errors.New("private_key_jwt is not configured"))
	}
	keys, err := a.cfg.Keys.ClientKeys(ctx, c, false)
	if err != nil {
		return failed(jeton.ReasonBadAssertion, fmt.Errorf("client keys: %w", err))
	}
	cands := pickKeys(keys, kid, alg)
	if len(cands) == 0 && kid != "" && c.JWKSURI != "" {
		if keys, err = a.cfg.Keys.ClientKeys(ctx, c, true); err != nil {
			return failed(jeton.ReasonBadAssertion, fmt.Errorf("client keys: %w", err))
		}
		cands = pickKeys(keys, kid, alg)
	}
	if len(cands) == 0 {
		if kid != "" {
			return bad("kid names no registered %s key", alg)
		}
		return bad("client has no key for %s", alg)
	}
	for _, k := range cands {
		if tok.Claims(k.Key, claims) == nil {
			return nil
		}
	}
	return bad("signature does not verify with the client's keys")
}

// pickKeys returns the keys with the given kid (all when kid is "") that can verify
// alg.
func pickKeys(keys []jose.JSONWebKey, kid string, alg jose.SignatureAlgorithm) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range keys {
		if (kid == "" || k.KeyID == kid) && fitsAlg(k.Key, alg) {
			out = append(out, k)
		}
	}
	return out
}

// verifyWithSecrets checks an HS256 MAC (RFC 7518 §3.2) keyed with the client secret
// (OIDC Core §9, §10.1: the octets of the secret), the current one or, within the
// rotation's grace period, the previous one.
func (a *Assertion) verifyWithSecrets(c *jeton.Client, tok *jwt.JSONWebToken, claims *jwt.Claims) error {
	if a.cfg.OpenSecret == nil {
		return failed(jeton.ReasonWrongAuthMethod, errors.New("client_secret_jwt is not configured"))
	}
	sealed := [][]byte{c.SecretSealed}
	if len(c.PreviousSecretSealed) > 0 && a.cfg.Now().Before(c.PreviousSecretExpiresAt) {
		sealed = append(sealed, c.PreviousSecretSealed)
	}
	for _, s := range sealed {
		if len(s) == 0 {
			continue
		}
		key, err := a.cfg.OpenSecret(c.ID, s)
		if err != nil {
			return jeton.ServerError(fmt.Errorf("client %s: %w", c.ID, err))
		}
		if tok.Claims(key, claims) == nil {
			return nil
		}
	}
	return failed(jeton.ReasonBadSecret, errors.New("HS256 MAC does not verify with the client secret"))
}

// SigningAlgs lists the JWS algs accepted for the enabled assertion methods, for the
// *_auth_signing_alg_values_supported discovery members (RFC 8414 §2).
func SigningAlgs(methods []jeton.AuthMethod) []string {
	var out []string
	for _, m := range methods {
		var algs []jose.SignatureAlgorithm
		switch m {
		case jeton.AuthPrivateKey:
			algs = privateKeyAlgs
		case jeton.AuthSecretJWT:
			algs = secretAlgs
		}
		for _, a := range algs {
			out = append(out, string(a))
		}
	}
	return out
}

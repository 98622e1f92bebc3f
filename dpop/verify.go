package dpop

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
)

// Header is the request header that carries a proof (RFC 9449 §4.1), and NonceHeader
// the one that carries a server nonce (§8).
const (
	Header      = "DPoP"
	NonceHeader = "DPoP-Nonce"
	// Type is a proof's typ (RFC 9449 §4.2).
	Type = "dpop+jwt"
	// MaxProofBytes bounds a proof (DESIGN rule 4); a proof with an RSA-4096 jwk is
	// under 2 KiB.
	MaxProofBytes = 8 << 10
	// maxJTI bounds the jti recorded per proof.
	maxJTI = 256
)

// Defaults of the iat window (RFC 9449 §4.3 item 11, §11.1).
const (
	DefaultMaxAge = 60 * time.Second
	DefaultSkew   = 10 * time.Second
)

// Algs are the JWS algorithms a proof may use: asymmetric only (RFC 9449 §4.3 item 5
// forbids "none" and MAC algorithms; a MAC key would have to travel in the proof).
var Algs = []jose.SignatureAlgorithm{
	jose.ES256, jose.ES384, jose.ES512, jose.PS256, jose.PS384, jose.PS512,
	jose.RS256, jose.RS384, jose.RS512, jose.EdDSA,
}

// AlgNames are Algs as strings, for discovery (dpop_signing_alg_values_supported,
// RFC 9449 §5.1).
func AlgNames() []string {
	out := make([]string, len(Algs))
	for i, a := range Algs {
		out[i] = string(a)
	}
	return out
}

// Verifier checks proofs. It is safe for concurrent use.
type Verifier struct {
	// Replay records each proof's jti until it can no longer pass the iat window.
	Replay jeton.AssertionStore
	// Nonces, when set with RequireNonce, issues and checks server nonces (§8).
	Nonces *Nonces
	// RequireNonce refuses proofs without the current server nonce (use_dpop_nonce).
	RequireNonce bool
	// MaxAge is how old a proof's iat may be (default DefaultMaxAge); Skew how far in
	// the future (default DefaultSkew).
	MaxAge, Skew time.Duration
	Now          func() time.Time
}

// Request is what a proof must match: the request's method and URI (htm, htu) and,
// at a protected resource, the access token it comes with (ath, RFC 9449 §4.3 item 12).
type Request struct {
	// Proofs are the values of every DPoP header of the request (§4.3 item 1: one).
	Proofs []string
	Method string
	// URI is the endpoint's public URI (the issuer's base and the path).
	URI string
	// AccessToken, when set, must be hashed in the proof's ath claim.
	AccessToken string
}

// Proof is a verified proof whose single-use record may still be in flight.
type Proof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's key, base64url.
	JKT  string
	wait func() error
	err  error
	done bool
}

// Wait returns the outcome of the proof's single-use record: nil, or the
// invalid_dpop_proof of a replay. Later calls return the same.
func (p *Proof) Wait() error {
	if p == nil || p.done {
		return p.errOrNil()
	}
	p.done = true
	if err := p.wait(); errors.Is(err, jeton.ErrAlreadyUsed) {
		p.err = Invalid(jeton.ReasonReplay, "DPoP proof was used before")
	} else if err != nil {
		p.err = jeton.ServerError(err)
	}
	return p.err
}

func (p *Proof) errOrNil() error {
	if p == nil {
		return nil
	}
	return p.err
}

// Invalid is the invalid_dpop_proof error (RFC 9449 §5, §7.1).
func Invalid(reason jeton.Reason, desc string) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidDPoPProof, reason, "%s", desc)
}

// claims are the proof claims of RFC 9449 §4.2.
type claims struct {
	JTI   string   `json:"jti"`
	HTM   string   `json:"htm"`
	HTU   string   `json:"htu"`
	IAT   *float64 `json:"iat"`
	ATH   string   `json:"ath"`
	Nonce *string  `json:"nonce"`
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

// Verify checks the request's proof (RFC 9449 §4.3) and starts its single-use record;
// the caller must Wait for it before it answers. No proof is (nil, nil). Every refusal
// is invalid_dpop_proof, except a missing or stale server nonce: use_dpop_nonce.
func (v *Verifier) Verify(ctx context.Context, r Request) (*Proof, error) {
	if len(r.Proofs) == 0 {
		return nil, nil
	}
	if len(r.Proofs) > 1 {
		return nil, Invalid(jeton.ReasonDuplicateParam, "more than one DPoP header")
	}
	raw := r.Proofs[0]
	if raw == "" || len(raw) > MaxProofBytes {
		return nil, Invalid(jeton.ReasonMalformedBody, "DPoP proof is empty or too large")
	}
	jws, err := jose.ParseSignedCompact(raw, Algs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, Invalid(jeton.ReasonMalformedBody, "DPoP proof is not a JWS signed with an asymmetric algorithm")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, Type) {
		return nil, Invalid(jeton.ReasonMalformedBody, "DPoP proof typ is not dpop+jwt")
	}
	key := h.JSONWebKey
	if key == nil || !key.Valid() || !key.IsPublic() {
		// A private key (or a symmetric one) in the header is refused: §4.3 item 7.
		return nil, Invalid(jeton.ReasonMalformedBody, "DPoP proof jwk is missing or is not a public key")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, Invalid(jeton.ReasonBadAssertion, "DPoP proof signature does not verify with its jwk")
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, Invalid(jeton.ReasonMalformedBody, "DPoP proof claims do not parse")
	}
	now := v.now()
	iat, err := v.check(c, r, now)
	if err != nil {
		return nil, err
	}
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, Invalid(jeton.ReasonMalformedBody, "DPoP proof jwk has no thumbprint")
	}
	jkt := base64.RawURLEncoding.EncodeToString(tp)
	// The record outlives every moment at which the proof could still pass the iat
	// window; iat is signed, so a replay finds it (jeton.AssertionStore).
	until := iat.Add(v.maxAge() + v.skew() + time.Second)
	return &Proof{JKT: jkt, wait: start(ctx, v.Replay, "dpop:"+jkt, c.JTI, until, now)}, nil
}

// check is §4.3 items 3 and 8-12 on the verified claims; it returns iat.
func (v *Verifier) check(c claims, r Request, now time.Time) (time.Time, error) {
	switch {
	case c.JTI == "" || len(c.JTI) > maxJTI:
		return time.Time{}, Invalid(jeton.ReasonMalformedBody, "DPoP proof jti is missing or too long")
	case c.IAT == nil:
		return time.Time{}, Invalid(jeton.ReasonMalformedBody, "DPoP proof iat is missing")
	case c.HTM != r.Method:
		return time.Time{}, Invalid(jeton.ReasonNone, "DPoP proof htm does not match the request method")
	}
	want, _ := normalURI(r.URI)
	if got, ok := normalURI(c.HTU); !ok || got != want {
		return time.Time{}, Invalid(jeton.ReasonNone, "DPoP proof htu does not match the request URI")
	}
	if r.AccessToken != "" {
		sum := sha256.Sum256([]byte(r.AccessToken))
		if c.ATH != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return time.Time{}, Invalid(jeton.ReasonMalformedBody, "DPoP proof ath is missing or does not hash the access token")
		}
	}
	iat := time.Unix(0, int64(*c.IAT*1e9))
	if iat.Before(now.Add(-v.maxAge())) || iat.After(now.Add(v.skew())) {
		return time.Time{}, Invalid(jeton.ReasonExpired, "DPoP proof iat is outside the accepted window")
	}
	if v.RequireNonce && v.Nonces != nil && (c.Nonce == nil || !v.Nonces.Valid(*c.Nonce, now)) {
		return time.Time{}, jeton.Errorf(jeton.CodeUseDPoPNonce, jeton.ReasonNone, "Authorization server requires nonce in DPoP proof")
	}
	return iat, nil
}

func (v *Verifier) maxAge() time.Duration {
	if v.MaxAge > 0 {
		return v.MaxAge
	}
	return DefaultMaxAge
}

func (v *Verifier) skew() time.Duration {
	if v.Skew > 0 {
		return v.Skew
	}
	return DefaultSkew
}

// Nonce returns the nonce to send in DPoP-Nonce now, or "" when nonces are off.
func (v *Verifier) Nonce() string {
	if v == nil || !v.RequireNonce || v.Nonces == nil {
		return ""
	}
	return v.Nonces.Current(v.now())
}

// starter is an AssertionStore that can queue a record and return at once
// (clientauth.ReplayStarter; sqlite.Store is one).
type starter interface {
	StartUseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) (wait func() error)
}

// start begins the one atomic store call that makes (key, jti) single-use.
func start(ctx context.Context, store jeton.AssertionStore, key, jti string, until, now time.Time) func() error {
	if st, ok := store.(starter); ok {
		return st.StartUseAssertionID(ctx, key, jti, until, now)
	}
	done := make(chan error, 1)
	go func() { done <- store.UseAssertionID(ctx, key, jti, until, now) }()
	return func() error { return <-done }
}

// Proofs returns the DPoP header values of h.
func Proofs(h http.Header) []string { return h.Values(Header) }

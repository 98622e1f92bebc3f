package clientauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
)

// Profile adapts private_key_jwt's claim rules (RFC 7523 §3) to clients that follow a
// vendor's guide rather than the RFC: CardCore's (docs/dialects/cardcore.md). With a
// Profile:
//   - iss is what Issuer says (RFC 7523 §3 item 1 wants the client id);
//   - exp, iat and nbf may be numeric strings ("1639806203") as well as numbers
//     (RFC 7519 §2 NumericDate is a number; the vendor's template quotes them);
//   - jti is optional: without one the assertion's JWS signing input (RFC 7515 §5.1:
//     header.payload, its SHA-256 digest) is single-use until exp, through the same
//     atomic replay record (RFC 7523 §3 item 7);
//   - a failed claim check states which one in the error's Description: only the
//     holder of the application's private key ever sees those answers.
type Profile struct {
	// Issuer returns the iss c's assertions must carry ("" accepts any non-empty iss),
	// or a *jeton.Error that refuses the client for this request (e.g. the request
	// names another application). Required.
	Issuer func(ctx context.Context, c *jeton.Client, cred Credentials) (string, error)
	// Algs, when set, narrows the accepted algorithms (e.g. RS256, PS256, ES256).
	Algs []jose.SignatureAlgorithm
}

// digestJTIPrefix marks a replay record made from an assertion's digest rather than
// its jti; a '#' never starts a sensible jti, so the two cannot be confused in practice.
const digestJTIPrefix = "#sha256:"

// verifyProfile is Verify's second half under a Profile: signature with the client's
// keys, then the Profile's claim rules, then the single-use record.
func (a *Assertion) verifyProfile(ctx context.Context, c *jeton.Client, cred Credentials, tok *jwt.JSONWebToken, alg jose.SignatureAlgorithm, kid string) (Pending, error) {
	issuer, err := a.cfg.Profile.Issuer(ctx, c, cred)
	if err != nil {
		return Pending{}, err
	}
	var raw json.RawMessage
	if err := a.verifyWithKeys(ctx, c, tok, alg, kid, &raw); err != nil {
		// One answer for a wrong key, alg or kid: it tells nothing about the
		// registered key's type to whoever knows an application's ids.
		var e *jeton.Error
		if errors.As(err, &e) && e.Reason == jeton.ReasonBadAssertion {
			return Pending{}, bad("signature does not verify with the application's registered key")
		}
		return Pending{}, err
	}
	var lc looseClaims
	if err := json.Unmarshal(raw, &lc); err != nil {
		return Pending{}, bad("claims do not parse: %v", claimsErr(err))
	}
	claims := lc.claims()
	now := a.cfg.Now()
	exp, err := a.checkClaims(c, cred, &claims, issuer, now)
	if err != nil {
		return Pending{}, err
	}
	jti := claims.ID
	if jti == "" {
		// What was signed, not the signature: a signature has other valid forms
		// (ECDSA's (r, n-s); a re-signing with a fresh nonce) that would each be new.
		d := sha256.Sum256([]byte(signingInput(cred.Assertion)))
		jti = digestJTIPrefix + base64.RawURLEncoding.EncodeToString(d[:])
	}
	return a.record(c, jti, exp, now), nil
}

// claimsErr keeps a claim-decoding error short and free of input echoes.
func claimsErr(err error) error {
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, errBadDate):
		return errBadDate
	case errors.As(err, &te):
		return errors.New(te.Field + " has the wrong type")
	}
	return errors.New("not a JSON object")
}

// stated copies a failed assertion check's cause into the answer's description.
// Refusals of the client itself (unknown, inactive, another application) keep the one
// invalid_client answer.
func stated(err error) {
	var e *jeton.Error
	if !errors.As(err, &e) || e.Code != jeton.CodeInvalidClient || e.Cause == nil {
		return
	}
	switch e.Reason {
	case jeton.ReasonBadAssertion, jeton.ReasonExpired, jeton.ReasonReplay:
		e.Description = "client assertion: " + e.Cause.Error()
	}
}

// looseClaims is jwt.Claims with NumericDates that may be numeric strings.
type looseClaims struct {
	Issuer    string       `json:"iss"`
	Subject   string       `json:"sub"`
	Audience  jwt.Audience `json:"aud"`
	Expiry    *looseDate   `json:"exp"`
	NotBefore *looseDate   `json:"nbf"`
	IssuedAt  *looseDate   `json:"iat"`
	ID        string       `json:"jti"`
}

func (l *looseClaims) claims() jwt.Claims {
	return jwt.Claims{Issuer: l.Issuer, Subject: l.Subject, Audience: l.Audience, ID: l.ID,
		Expiry: l.Expiry.numeric(), NotBefore: l.NotBefore.numeric(), IssuedAt: l.IssuedAt.numeric()}
}

// looseDate is an RFC 7519 §2 NumericDate (seconds since the epoch) given as a JSON
// number or as a string holding one.
type looseDate struct{ t time.Time }

func (d *looseDate) numeric() *jwt.NumericDate {
	if d == nil {
		return nil
	}
	return jwt.NewNumericDate(d.t)
}

var errBadDate = errors.New("exp, iat and nbf must be numbers of seconds or numeric strings")

// UnmarshalJSON accepts 1639806203, 1639806203.5 and "1639806203".
func (d *looseDate) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return errBadDate
		}
		b = []byte(s)
	}
	if len(b) == 0 || bytes.ContainsAny(b, "eE+ \t") {
		return errBadDate
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f > math.MaxInt32*4 {
		return errBadDate
	}
	sec, frac := math.Modf(f)
	d.t = time.Unix(int64(sec), int64(frac*1e9))
	return nil
}

package token

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"slices"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
)

// DefaultIDTokenTTL is an ID token's lifetime when none is configured. An ID token is
// read once, right after the token response; a short life limits what a leaked one
// is worth.
const DefaultIDTokenTTL = 5 * time.Minute

// IDTokenIssuer signs OpenID Connect ID tokens (OIDC Core §2, §3.1.3.6). Every dialect
// that signs customers in uses it, through Issuer or directly.
type IDTokenIssuer struct {
	// Issuer is the "iss": the server's public URL (OIDC Core §2).
	Issuer string
	// Signer returns the current signing key for a JWS alg (the client's SigningAlg).
	Signer func(alg string) (Signer, error)
	// TTL is the ID token's lifetime (default DefaultIDTokenTTL).
	TTL time.Duration
}

// IDTokenParams is what one ID token is about.
type IDTokenParams struct {
	Client   *jeton.Client
	Customer *jeton.Customer
	// Scope is the granted scope; it decides which profile claims appear (OIDC Core §5.4).
	Scope []string
	// Nonce from the authentication request (OIDC Core §3.1.2.1); "" when none was sent.
	Nonce    string
	AuthTime time.Time
	// AccessToken issued alongside, for at_hash (OIDC Core §3.1.3.6); "" for none.
	AccessToken string
	IssuedAt    time.Time
}

// IDToken signs an ID token for p with the client's signing alg: iss, sub, aud (the
// client id), exp, iat, auth_time, nonce, at_hash, azp (OIDC Core §2) and the claims the
// scope allows (OIDC Core §5.4). It also carries client_id (RFC 9068 §2.2's name for
// the same value, an extra claim OIDC Core §2 permits), because Candescent's ID tokens
// have it and code written against them reads it. A client whose profile forbids its
// signing alg (fapi2.TokenAlg, FAPI 2.0 §5.4) gets that refusal, and no token.
func (i *IDTokenIssuer) IDToken(p IDTokenParams) (string, error) {
	if p.Client == nil || p.Customer == nil {
		return "", errors.New("token: ID token needs a client and a customer")
	}
	if e := fapi2.TokenAlg(p.Client); e != nil {
		return "", e // FAPI 2.0 §5.4: never RS256 for a FAPI 2.0 client
	}
	ttl := i.TTL
	if ttl <= 0 {
		ttl = DefaultIDTokenTTL
	}
	signer, err := i.Signer(p.Client.SigningAlg)
	if err != nil {
		return "", err
	}
	now := p.IssuedAt.Truncate(time.Second)
	claims := ProfileClaims(p.Customer, p.Scope)
	claims["iss"] = i.Issuer
	claims["sub"] = p.Customer.ID
	claims["aud"] = p.Client.ID
	claims["azp"] = p.Client.ID
	claims["client_id"] = p.Client.ID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(ttl).Unix()
	if !p.AuthTime.IsZero() {
		claims["auth_time"] = p.AuthTime.Unix()
	}
	if p.Nonce != "" {
		claims["nonce"] = p.Nonce
	}
	if p.AccessToken != "" {
		h, err := AccessTokenHash(signer.Alg(), p.AccessToken)
		if err != nil {
			return "", err
		}
		claims["at_hash"] = h
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return signer.Sign(payload, "JWT")
}

// AccessTokenHash is at_hash (OIDC Core §3.1.3.6): the base64url left half of the
// access token's hash, with the hash of the JWS alg (SHA-512 for EdDSA/Ed25519, as
// OIDC Core Errata and the OpenID certification suite use).
func AccessTokenHash(alg, accessToken string) (string, error) {
	var h hash.Hash
	switch alg {
	case "ES256", "RS256", "PS256":
		h = sha256.New()
	case "EdDSA":
		h = sha512.New()
	default:
		return "", errors.New("token: no at_hash hash for alg " + alg)
	}
	h.Write([]byte(accessToken))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]), nil
}

// scopeClaims are the standard claims each scope requests (OIDC Core §5.4).
var scopeClaims = map[string][]string{
	jeton.ScopeProfile: {"name", "family_name", "given_name", "middle_name", "nickname",
		"preferred_username", "profile", "picture", "website", "gender", "birthdate",
		"zoneinfo", "locale"},
	jeton.ScopeEmail: {"email", "email_verified"},
	jeton.ScopePhone: {"phone_number", "phone_number_verified"},
}

// ProfileClaims returns the customer's claims that scope allows (OIDC Core §5.4), plus
// sub; the ID token and userinfo (OIDC Core §5.3.2) return the same set. profile adds
// updated_at (the customer record's last change).
func ProfileClaims(cu *jeton.Customer, scope []string) map[string]any {
	out := map[string]any{"sub": cu.ID}
	for s, names := range scopeClaims {
		if !slices.Contains(scope, s) {
			continue
		}
		for _, n := range names {
			if v, ok := cu.Claims[n]; ok {
				out[n] = v
			}
		}
		if s == jeton.ScopeProfile && !cu.UpdatedAt.IsZero() {
			out["updated_at"] = cu.UpdatedAt.Unix()
		}
	}
	return out
}

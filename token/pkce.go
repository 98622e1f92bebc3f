package token

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// PKCE (RFC 7636). jeton accepts only the S256 method (§4.2); plain is refused.
const PKCEMethodS256 = "S256"

// ValidCodeVerifier reports whether v is a code_verifier (RFC 7636 §4.1): 43 to 128
// characters of ALPHA / DIGIT / "-" / "." / "_" / "~".
func ValidCodeVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// ValidCodeChallenge reports whether c can be an S256 code_challenge: the base64url
// (no padding) SHA-256 of a verifier is exactly 43 characters (RFC 7636 §4.2). The
// decoding is strict: a last character with stray low bits spells the same 32 bytes
// but is no verifier's challenge (VerifyPKCE compares the canonical text), so a code
// issued for it could never be redeemed.
func ValidCodeChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// S256Challenge is BASE64URL(SHA256(verifier)) (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// VerifyPKCE checks a code_verifier against the stored S256 challenge in constant
// time (RFC 7636 §4.6).
func VerifyPKCE(verifier, challenge string) bool {
	if !ValidCodeVerifier(verifier) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(S256Challenge(verifier)), []byte(challenge)) == 1
}

package adminapi

import "unicode"

// Bounds on customer input (DESIGN rule 4: every size is bounded).
const (
	maxUsernameLen  = 256
	maxClaims       = 50
	maxClaimNameLen = 64
)

// reservedClaims are claims the server sets itself in tokens and userinfo (RFC 7519
// §4.1, RFC 9068 §2.2, OIDC Core §2 and §5.1); a customer's stored claims must not
// override them.
var reservedClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"client_id": true, "scope": true, "auth_time": true, "nonce": true, "acr": true, "amr": true,
	"azp": true, "at_hash": true, "c_hash": true, "sid": true, "cnf": true,
}

func checkClaims(claims map[string]any) error {
	if len(claims) > maxClaims {
		return fieldError("claims", "at most %d claims", maxClaims)
	}
	for name := range claims {
		f := "claims." + name
		if name == "" || len(name) > maxClaimNameLen {
			return fieldError("claims", "claim names must be 1..%d bytes", maxClaimNameLen)
		}
		for _, r := range name {
			if unicode.IsControl(r) || unicode.IsSpace(r) {
				return fieldError(f, "claim name must not contain spaces or control characters")
			}
		}
		if reservedClaims[name] {
			return fieldError(f, "claim %q is set by the server and cannot be stored", name)
		}
	}
	return nil
}

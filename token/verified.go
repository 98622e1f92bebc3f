package token

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxVerified bounds the verified-JWT cache; a flood of distinct tokens can't grow it.
const maxVerified = 10000

// verifiedJWTs remembers JWT access tokens whose signature, typ and iss verified, by
// the SHA-256 of the token string, until they expire. A JWS is immutable, so the same
// string verifies the same way every time; resource servers introspect the same token
// again and again, and the P-256 verification is the costliest step (docs/benchmarks.md).
// Only the signature work is cached: revocation, client, customer and institution are
// checked on every call. A hit is honoured only while the signing key is published.
type verifiedJWTs struct {
	mu sync.RWMutex
	m  map[[32]byte]verifiedJWT
}

type verifiedJWT struct {
	info *Introspection
	kid  string
}

func (v *verifiedJWTs) get(tok string, now time.Time) (verifiedJWT, bool) {
	k := sha256.Sum256([]byte(tok))
	v.mu.RLock()
	e, ok := v.m[k]
	v.mu.RUnlock()
	if !ok || !now.Before(e.info.ExpiresAt) {
		return verifiedJWT{}, false
	}
	return e, true
}

func (v *verifiedJWTs) put(tok string, e verifiedJWT, now time.Time) {
	k := sha256.Sum256([]byte(tok))
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[[32]byte]verifiedJWT)
	}
	if len(v.m) >= maxVerified {
		for key, old := range v.m {
			if !now.Before(old.info.ExpiresAt) {
				delete(v.m, key)
			}
		}
		if len(v.m) >= maxVerified {
			clear(v.m)
		}
	}
	v.m[k] = e
}

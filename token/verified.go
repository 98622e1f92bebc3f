package token

import (
	"crypto/sha256"
	"time"

	"github.com/jeton/jeton/internal/ttlcache"
)

// verifiedJWTs remembers JWT access tokens whose signature, typ and iss verified, by
// the SHA-256 of the token string, until they expire; at most ttlcache.DefaultMax, so a
// flood of distinct tokens can't grow it. A JWS is immutable, so the same string
// verifies the same way every time; resource servers introspect the same token again
// and again, and the P-256 verification is the costliest step (docs/benchmarks.md).
// Only the signature work is cached: revocation, client, customer and institution are
// checked on every call. A hit is honoured only while the signing key is published.
type verifiedJWTs struct {
	cache ttlcache.Cache[[32]byte, verifiedJWT]
}

type verifiedJWT struct {
	info *Introspection
	kid  string
}

func (v *verifiedJWTs) get(tok string, now time.Time) (verifiedJWT, bool) {
	return v.cache.Get(sha256.Sum256([]byte(tok)), now)
}

func (v *verifiedJWTs) put(tok string, e verifiedJWT, now time.Time) {
	v.cache.Put(sha256.Sum256([]byte(tok)), e, e.info.ExpiresAt, now)
}

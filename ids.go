package jeton

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// NewID returns a random 128-bit identifier as 32 lowercase hex characters, used for
// institutions, customers, families and audit events.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// NewSecret returns a 256-bit random secret, base64url without padding (43 characters):
// client secrets, refresh tokens, opaque access tokens (DESIGN rule 5).
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Digest is the SHA-256 of a high-entropy secret or token; only digests are stored.
// A slow hash adds nothing for 256-bit random values (DESIGN rule 5).
func Digest(secret string) []byte {
	d := sha256.Sum256([]byte(secret))
	return d[:]
}

// DigestEqual compares a presented secret against a stored digest in constant time.
func DigestEqual(secret string, digest []byte) bool {
	d := sha256.Sum256([]byte(secret))
	return len(digest) == len(d) && subtle.ConstantTimeCompare(d[:], digest) == 1
}

// NewTimeID is NewID whose first 48 bits are the Unix time in milliseconds (the layout
// of a UUIDv7, RFC 9562 §5.7) and the other 80 random. Refresh families use it: ids
// made in time order are inserted at the end of the indexes that hold them, instead of
// on a random page each, so a commit of many new families writes a few pages rather
// than one per family (docs/benchmarks.md). The time it shows is the family's start,
// which the tokens of the family carry anyway (iat, auth_time).
func NewTimeID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	_, _ = rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}

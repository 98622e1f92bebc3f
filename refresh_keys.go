package jeton

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// Refresh tokens name their family. A token made since issue 16 is 48 bytes, base64url
// without padding (64 characters): the family id's 16 bytes, then 32 bytes that are
// random (a family's first token) or derived (a successor). It is stored under its
// key, the family id's 16 bytes followed by the SHA-256 of the whole token, and stores
// keep a family's tokens together under that key (migration 13). A new family's first
// token therefore goes to the end of the table, next to the other new families'
// (family ids are time-ordered, NewTimeID), and a rotation writes its successor beside
// the token it replaces, where a token keyed by its digest alone went to a random page.
// The family id in the token is no secret (access tokens carry it as fid) and gives
// nothing away: the key still needs the SHA-256 of the whole token.
//
// Tokens made before, and tokens of families whose id is not 32 hex characters, are
// the 43-character random secrets they were, stored under their SHA-256 alone.
const (
	refreshTokenBytes = 16 + 32
	refreshTokenLen   = 64 // base64url of refreshTokenBytes
	// RefreshKeyLen is the length of a family-prefixed refresh-token key.
	RefreshKeyLen = 16 + sha256.Size
)

// familyBytes returns the 16 bytes a family id of 32 lowercase hex characters stands
// for (NewID, NewTimeID); ok is false for any other id.
func familyBytes(familyID string) (b [16]byte, ok bool) {
	if len(familyID) != 32 {
		return b, false
	}
	if _, err := hex.Decode(b[:], []byte(familyID)); err != nil || hex.EncodeToString(b[:]) != familyID {
		return b, false
	}
	return b, true
}

// NewRefreshToken returns a new first token for family familyID: its id and 256
// random bits, or a plain NewSecret when the id is not 32 hex characters.
func NewRefreshToken(familyID string) string {
	var rnd [32]byte
	_, _ = rand.Read(rnd[:])
	return RefreshSuccessor(familyID, rnd[:])
}

// RefreshSuccessor returns the token of family familyID whose last 32 bytes are mac
// (a successor's HMAC; NewRefreshToken's random bytes), or mac alone, base64url, when
// the id is not 32 hex characters.
func RefreshSuccessor(familyID string, mac []byte) string {
	fam, ok := familyBytes(familyID)
	if !ok {
		return base64.RawURLEncoding.EncodeToString(mac)
	}
	return base64.RawURLEncoding.EncodeToString(append(fam[:], mac...))
}

// RefreshTokenKey is the key a refresh token is stored and looked up by: the family id
// it carries followed by its SHA-256, or its SHA-256 alone for a token without one.
func RefreshTokenKey(token string) []byte {
	if len(token) == refreshTokenLen {
		var b [refreshTokenBytes]byte
		if n, err := base64.RawURLEncoding.Strict().Decode(b[:], []byte(token)); err == nil && n == len(b) {
			return prefixedKey(b[:16], token)
		}
	}
	return Digest(token)
}

// RefreshKey is the key of token as a token of family familyID: family-prefixed when
// the id is 32 hex characters, else the token's SHA-256. It equals RefreshTokenKey for
// the tokens NewRefreshToken and RefreshSuccessor make.
func RefreshKey(familyID, token string) []byte {
	fam, ok := familyBytes(familyID)
	if !ok {
		return Digest(token)
	}
	return prefixedKey(fam[:], token)
}

func prefixedKey(fam []byte, token string) []byte {
	d := sha256.Sum256([]byte(token))
	return append(append(make([]byte, 0, RefreshKeyLen), fam...), d[:]...)
}

// RefreshKeyEqual reports, in constant time, whether key is token's key.
func RefreshKeyEqual(token string, key []byte) bool {
	return subtle.ConstantTimeCompare(RefreshTokenKey(token), key) == 1
}

// SplitRefreshKey is how a store reads a key: a family-prefixed key (RefreshKeyLen
// bytes) is the family id and the token's digest, stored together under the family;
// any other key is a digest alone (prefixed false).
func SplitRefreshKey(key []byte) (familyID string, digest []byte, prefixed bool) {
	if len(key) != RefreshKeyLen {
		return "", key, false
	}
	return hex.EncodeToString(key[:16]), key[16:], true
}

package dpop

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// DefaultNonceWindow is how long one server nonce is handed out; a nonce is accepted
// for this window and the next, so a client always has at least one window to use it.
const DefaultNonceWindow = 5 * time.Minute

// nonceKeyInfo is the HKDF "info" that binds the derived key to its one purpose.
const nonceKeyInfo = "jeton dpop nonce v1"

// DeriveNonceKey derives the 32-byte nonce key from the key-encryption key with
// HKDF-SHA256 (RFC 5869). Every replica holds the KEK, so every replica derives the
// same key and accepts the nonces of the others with no store round trip and no new
// secret to distribute.
func DeriveNonceKey(kek []byte) []byte {
	k, err := hkdf.Key(sha256.New, kek, nil, nonceKeyInfo, 32)
	if err != nil {
		panic("dpop: hkdf: " + err.Error()) // only lengths over 255 blocks fail
	}
	return k
}

// Nonces are RFC 9449 §8 server nonces: the number of the current time window and an
// HMAC-SHA256 of it under a key derived from the KEK (DeriveNonceKey). A nonce is
// valid in its window and the next: unpredictable to a client (it cannot mint
// tomorrow's nonce ahead of time, which is what §8 guards against), the same on every
// replica, and checked with one HMAC, no store access. A proof stays single-use
// through its jti, so nonces need not be.
type Nonces struct {
	// Key is the HMAC key (DeriveNonceKey); at least 32 bytes.
	Key []byte
	// PreviousKeys accept nonces made under the previous KEKs during a KEK rotation.
	PreviousKeys [][]byte
	// Window is each nonce's issue window (default DefaultNonceWindow).
	Window time.Duration
}

func (n *Nonces) window() time.Duration {
	if n.Window > 0 {
		return n.Window
	}
	return DefaultNonceWindow
}

// Current returns the nonce to hand out at now.
func (n *Nonces) Current(now time.Time) string {
	return mint(n.Key, uint64(now.UnixNano()/int64(n.window())))
}

// Valid reports whether nonce was handed out at now or in the window before.
func (n *Nonces) Valid(nonce string, now time.Time) bool {
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) != 8+16 {
		return false
	}
	w := binary.BigEndian.Uint64(raw[:8])
	cur := uint64(now.UnixNano() / int64(n.window()))
	if w != cur && w+1 != cur {
		return false
	}
	for _, k := range append([][]byte{n.Key}, n.PreviousKeys...) {
		if hmac.Equal([]byte(mint(k, w)), []byte(nonce)) {
			return true
		}
	}
	return false
}

func mint(key []byte, w uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], w)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("dpop-nonce"))
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(append(b[:], m.Sum(nil)[:16]...))
}

package keys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Sealing at rest (DESIGN rule 5): AES-256-GCM under a key-encryption key (KEK).
//
// A value sealed by this version is an envelope that names its KEK:
//
//	"JKK1" (4 bytes) || KEK id (8 bytes) || nonce (12 bytes) || ciphertext || tag (16 bytes)
//
// with a random 96-bit nonce (NIST SP 800-38D §8.2.2: random nonces are safe far beyond
// the few values jeton ever seals). The additional authenticated data is the 12-byte
// header followed by the value's purpose (a signing key's kid, or a client secret's
// prefix and client id), so a blob copied into another row, or relabelled with another
// KEK id, fails to open instead of being accepted.
//
// Values sealed before KEK ids existed are nonce || ciphertext || tag with the purpose
// alone as additional data ("legacy"). They stay readable: a blob without the magic
// (or one whose magic is a legacy nonce's chance prefix) is tried under every
// configured KEK. `jeton kek rotate` rewrites them as envelopes.

// envelopeMagic starts every envelope; kekIDSize bytes of KEK id follow.
const (
	envelopeMagic = "JKK1"
	kekIDSize     = 8
	headerSize    = len(envelopeMagic) + kekIDSize
)

// kekIDLabel separates the KEK id hash from any other use of the KEK.
const kekIDLabel = "jeton key-encryption key id v1\x00"

// KEKID names a key-encryption key without revealing it: the first 8 bytes of
// SHA-256 over a fixed label and the key, in hex. Sealed values carry it, and
// `jeton kek status` counts rows by it.
func KEKID(kek []byte) string {
	id := kekIDOf(kek)
	return hex.EncodeToString(id[:])
}

func kekIDOf(kek []byte) [kekIDSize]byte {
	sum := sha256.Sum256(append([]byte(kekIDLabel), kek...))
	var id [kekIDSize]byte
	copy(id[:], sum[:kekIDSize])
	return id
}

// kekEntry is one KEK of a keyring, prepared for use.
type kekEntry struct {
	id     [kekIDSize]byte
	header []byte      // envelopeMagic || id
	aead   cipher.AEAD // safe for concurrent use: GCM keeps no per-call state
}

// Keyring holds the KEKs a process accepts: the current one, which seals everything
// new, and the previous ones, which only open what is still sealed under them (during
// a KEK rotation). It is immutable and safe for concurrent use.
type Keyring struct {
	keys []kekEntry // keys[0] is current; no id twice
}

// NewKeyring checks every KEK (32 bytes each) and prepares the ciphers. A previous
// KEK equal to the current one, or given twice, is kept once.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	r := &Keyring{}
	for i, kek := range append([][]byte{current}, previous...) {
		if len(kek) != KEKSize {
			which := "key-encryption key"
			if i > 0 {
				which = "previous key-encryption key"
			}
			return nil, fmt.Errorf("keys: %s is %d bytes, want %d", which, len(kek), KEKSize)
		}
		id := kekIDOf(kek)
		if r.byID(id[:]) != nil {
			continue
		}
		block, err := aes.NewCipher(kek)
		if err != nil {
			return nil, fmt.Errorf("keys: key-encryption key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("keys: key-encryption key: %w", err)
		}
		r.keys = append(r.keys, kekEntry{id: id, header: append([]byte(envelopeMagic), id[:]...), aead: aead})
	}
	return r, nil
}

// CurrentID is the id of the KEK that seals new values.
func (r *Keyring) CurrentID() string { return hex.EncodeToString(r.keys[0].id[:]) }

// IDs lists the ids of every KEK in the ring, the current one first.
func (r *Keyring) IDs() []string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = hex.EncodeToString(k.id[:])
	}
	return ids
}

func (r *Keyring) byID(id []byte) *kekEntry {
	for i := range r.keys {
		if bytes.Equal(r.keys[i].id[:], id) {
			return &r.keys[i]
		}
	}
	return nil
}

// seal encrypts plaintext under the current KEK, bound to purpose (the additional data).
func (r *Keyring) seal(purpose string, plaintext []byte) []byte {
	k := &r.keys[0]
	ns := k.aead.NonceSize()
	out := make([]byte, headerSize+ns, headerSize+ns+len(plaintext)+k.aead.Overhead())
	copy(out, k.header)
	_, _ = rand.Read(out[headerSize:]) // crypto/rand.Read never fails (Go 1.24+)
	return k.aead.Seal(out, out[headerSize:], plaintext, aad(k.header, purpose))
}

// aad is header || purpose, in one allocation (it is built per client_secret_jwt
// request).
func aad(header []byte, purpose string) []byte {
	b := make([]byte, 0, len(header)+len(purpose))
	return append(append(b, header...), purpose...)
}

// errUnseal is deliberately uninformative: GCM cannot tell a wrong KEK from a tampered
// or swapped blob, and the caller adds the row and the likely cause.
var errUnseal = errors.New("authentication failed")

// UnknownKEKError reports a value sealed under a KEK the keyring does not hold: the
// process was started without the KEK that sealed it (for example with only the old
// KEK after a rotation, or only the new one before `jeton kek rotate` finished).
type UnknownKEKError struct {
	ID         string   // the KEK id in the sealed value
	Configured []string // the ids the keyring holds, current first
}

func (e *UnknownKEKError) Error() string {
	return fmt.Sprintf("sealed under key-encryption key %s, which is not configured (configured: %s)",
		e.ID, strings.Join(e.Configured, ", "))
}

// open decrypts a value sealed for purpose under any KEK of the ring, envelope or
// legacy.
func (r *Keyring) open(purpose string, sealed []byte) ([]byte, error) {
	var unknown error
	if id, ok := envelopeID(sealed); ok {
		if k := r.byID(id); k != nil {
			ns := k.aead.NonceSize()
			body := sealed[headerSize:]
			if len(body) >= ns+k.aead.Overhead() {
				if plain, err := k.aead.Open(nil, body[:ns], body[ns:], aad(k.header, purpose)); err == nil {
					return plain, nil
				}
			}
		} else {
			unknown = &UnknownKEKError{ID: hex.EncodeToString(id), Configured: r.IDs()}
		}
	}
	// A legacy value, or (one time in 2^32) a legacy nonce that begins like a header.
	if plain, err := r.openLegacy(purpose, sealed); err == nil {
		return plain, nil
	} else if unknown == nil {
		return nil, err
	}
	return nil, unknown
}

// openLegacy tries a value sealed before KEK ids existed under each KEK of the ring.
func (r *Keyring) openLegacy(purpose string, sealed []byte) ([]byte, error) {
	k0 := r.keys[0].aead
	if len(sealed) < k0.NonceSize()+k0.Overhead() {
		return nil, errors.New("sealed value is truncated")
	}
	ad := []byte(purpose)
	for _, k := range r.keys {
		ns := k.aead.NonceSize()
		if plain, err := k.aead.Open(nil, sealed[:ns], sealed[ns:], ad); err == nil {
			return plain, nil
		}
	}
	return nil, errUnseal
}

// envelopeID returns the KEK id of an envelope, and false for anything without the
// magic (a legacy value).
func envelopeID(sealed []byte) ([]byte, bool) {
	if len(sealed) < headerSize || string(sealed[:len(envelopeMagic)]) != envelopeMagic {
		return nil, false
	}
	return sealed[len(envelopeMagic):headerSize], true
}

// sealedUnder says which KEK a value sealed for purpose is under: its id, and whether it
// is a legacy value (without an id). An envelope names its KEK, so only legacy values
// are decrypted (under each KEK of the ring) to find out; errUnseal if none opens one.
func (r *Keyring) sealedUnder(purpose string, sealed []byte) (id string, legacy bool, err error) {
	if raw, ok := envelopeID(sealed); ok {
		return hex.EncodeToString(raw), false, nil
	}
	for i := range r.keys {
		k := &r.keys[i]
		ns := k.aead.NonceSize()
		if len(sealed) >= ns+k.aead.Overhead() {
			if _, err := k.aead.Open(nil, sealed[:ns], sealed[ns:], []byte(purpose)); err == nil {
				return hex.EncodeToString(k.id[:]), true, nil
			}
		}
	}
	return "", false, errUnseal
}

package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealer encrypts private keys at rest with AES-256-GCM under the KEK (DESIGN rule 5).
//
// A sealed blob is nonce || ciphertext || tag with a random 96-bit nonce (NIST SP
// 800-38D §8.2.2: random nonces are safe far beyond the few keys jeton ever seals). The
// key's kid is the additional authenticated data, so a blob copied into another row
// fails to open instead of silently signing under the wrong kid.
type sealer struct {
	aead cipher.AEAD // safe for concurrent use: GCM keeps no per-call state
}

func newSealer(kek []byte) (*sealer, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("keys: key-encryption key is %d bytes, want %d", len(kek), KEKSize)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("keys: key-encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keys: key-encryption key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal encrypts plaintext bound to kid.
func (s *sealer) seal(kid string, plaintext []byte) []byte {
	ns := s.aead.NonceSize()
	out := make([]byte, ns, ns+len(plaintext)+s.aead.Overhead())
	_, _ = rand.Read(out) // crypto/rand.Read never fails (Go 1.24+)
	return s.aead.Seal(out, out[:ns], plaintext, []byte(kid))
}

// errUnseal is deliberately uninformative: GCM cannot tell a wrong KEK from a tampered
// or swapped blob, and the caller adds the kid and the likely cause.
var errUnseal = errors.New("authentication failed")

// open decrypts a blob sealed for kid.
func (s *sealer) open(kid string, sealed []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns+s.aead.Overhead() {
		return nil, errors.New("sealed key is truncated")
	}
	plain, err := s.aead.Open(nil, sealed[:ns], sealed[ns:], []byte(kid))
	if err != nil {
		return nil, errUnseal
	}
	return plain, nil
}

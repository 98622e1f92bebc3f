package keys

import (
	"fmt"
)

// Client secrets of client_secret_jwt clients are the one credential jeton keeps in a
// decryptable form: an HS256 client assertion (RFC 7523 §2.2, OIDC Core §9) is a MAC
// keyed with the secret itself, so verifying one needs the secret, not a digest. They
// are sealed like signing keys (AES-256-GCM under the KEK) with the client id in the
// additional data, so a sealed secret copied into another client's row fails to open.
// Every other method keeps only a SHA-256 digest (jeton.Digest).

// secretAAD separates sealed client secrets from sealed signing keys: the additional
// data of a signing key is its kid alone, so without a prefix a client whose id equals
// some kid could have a signing-key blob accepted as its secret (or the reverse).
const secretAAD = "jeton client secret\x00"

// SealSecret encrypts a client_secret_jwt client's secret for storage
// (jeton.Client.SecretSealed) under kek, bound to clientID.
func SealSecret(kek []byte, clientID string, secret string) ([]byte, error) {
	r, err := NewKeyring(kek)
	if err != nil {
		return nil, err
	}
	return r.seal(secretAAD+clientID, []byte(secret)), nil
}

// OpenSecret decrypts a secret sealed by SealSecret for clientID. A wrong KEK, a
// tampered blob and a blob of another client all fail the same way; the error never
// holds any part of the secret.
func OpenSecret(kek []byte, clientID string, sealed []byte) (string, error) {
	r, err := NewKeyring(kek)
	if err != nil {
		return "", err
	}
	plain, err := (&SecretSealer{r: r}).Open(clientID, sealed)
	return string(plain), err
}

// SecretSealer seals and opens client secrets with ciphers built once, for the token
// endpoint's hot path. It is safe for concurrent use.
type SecretSealer struct{ r *Keyring }

// NewSecretSealer checks the KEKs and prepares the ciphers: kek seals, and secrets
// still sealed under a previous KEK (during a KEK rotation) open too.
func NewSecretSealer(kek []byte, previous ...[]byte) (*SecretSealer, error) {
	r, err := NewKeyring(kek, previous...)
	if err != nil {
		return nil, err
	}
	return &SecretSealer{r: r}, nil
}

// Seal is SealSecret with the prepared cipher.
func (ss *SecretSealer) Seal(clientID, secret string) []byte {
	return ss.r.seal(secretAAD+clientID, []byte(secret))
}

// Open is OpenSecret with the prepared ciphers; it returns the secret's bytes, which
// is what an HMAC key is.
func (ss *SecretSealer) Open(clientID string, sealed []byte) ([]byte, error) {
	plain, err := ss.r.open(secretAAD+clientID, sealed)
	if err != nil {
		return nil, fmt.Errorf("keys: cannot open the sealed secret of client %s: %w", clientID, err)
	}
	return plain, nil
}

package keys

import "fmt"

// A console user's TOTP secret (RFC 6238 §5.1: "the keys SHOULD be ... stored
// securely") is kept sealed like a client_secret_jwt secret: verifying a code needs
// the secret itself. The additional data binds it to the user id, and its prefix
// keeps it apart from client secrets and signing keys.
const totpAAD = "jeton console totp\x00"

// TOTPSealer seals and opens console users' TOTP secrets. It is safe for concurrent
// use.
type TOTPSealer struct{ r *Keyring }

// NewTOTPSealer checks the KEKs: kek seals, and secrets still sealed under a previous
// KEK (during a KEK rotation) open too.
func NewTOTPSealer(kek []byte, previous ...[]byte) (*TOTPSealer, error) {
	r, err := NewKeyring(kek, previous...)
	if err != nil {
		return nil, err
	}
	return &TOTPSealer{r: r}, nil
}

// Seal encrypts userID's TOTP secret.
func (ts *TOTPSealer) Seal(userID, secret string) []byte {
	return ts.r.seal(totpAAD+userID, []byte(secret))
}

// Open decrypts userID's sealed TOTP secret.
func (ts *TOTPSealer) Open(userID string, sealed []byte) (string, error) {
	plain, err := ts.r.open(totpAAD+userID, sealed)
	if err != nil {
		return "", fmt.Errorf("keys: cannot open the TOTP secret of console user %s: %w", userID, err)
	}
	return string(plain), nil
}

package keys

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
)

// material is one key's decrypted private key and what is derived from it once: the
// public JWK and the go-jose signers. It is immutable apart from the signer cache, and
// is shared between snapshots as long as the stored row's key bytes do not change.
type material struct {
	kid       string
	alg       string
	jose      jose.SignatureAlgorithm
	priv      crypto.Signer
	publicDER []byte
	sealed    []byte          // as stored; a reload reuses this material only if it is unchanged
	jwk       jose.JSONWebKey // public key with kid, alg and use "sig"
	jwkJSON   []byte          // jwk marshalled once, for the JWK Set

	signers sync.Map // typ (string) → jose.Signer, built on first use per typ
}

// thumbprint is the kid: the RFC 7638 JWK thumbprint (SHA-256, base64url without
// padding), so the kid is derived from the key itself and cannot collide by accident.
func thumbprint(pub crypto.PublicKey) (string, error) {
	sum, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// generate creates a fresh key for alg and seals it under s. The returned row has ID,
// Alg, PublicDER and PrivateSealed set; the caller sets the times.
func generate(s *Keyring, algName string) (jeton.SigningKey, error) {
	a, err := lookupAlg(algName)
	if err != nil {
		return jeton.SigningKey{}, err
	}
	priv, err := a.generate()
	if err != nil {
		return jeton.SigningKey{}, fmt.Errorf("keys: generate %s key: %w", algName, err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return jeton.SigningKey{}, fmt.Errorf("keys: encode %s public key: %w", algName, err)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return jeton.SigningKey{}, fmt.Errorf("keys: %s key thumbprint: %w", algName, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return jeton.SigningKey{}, fmt.Errorf("keys: encode %s private key: %w", algName, err)
	}
	sealed := s.seal(kid, der)
	clear(der)
	return jeton.SigningKey{ID: kid, Alg: algName, PublicDER: pubDER, PrivateSealed: sealed}, nil
}

// openKey decrypts a stored key and checks that the row is consistent: the private key
// is of the row's alg, matches PublicDER, and its thumbprint is the kid. Any mismatch is
// an error here so that serve fails at start rather than at a request.
func openKey(s *Keyring, k jeton.SigningKey) (*material, error) {
	a, err := lookupAlg(k.Alg)
	if err != nil {
		return nil, fmt.Errorf("keys: signing key %s: %w", k.ID, err)
	}
	der, err := s.open(k.ID, k.PrivateSealed)
	if err != nil {
		return nil, fmt.Errorf("keys: cannot decrypt signing key %s (wrong key-encryption key?): %w", k.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("keys: signing key %s: private key does not parse: %w", k.ID, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok || !a.fits(priv.Public()) {
		return nil, fmt.Errorf("keys: signing key %s: private key is not a %s key", k.ID, k.Alg)
	}
	if err := checkPublic(k, priv.Public()); err != nil {
		return nil, err
	}
	m := &material{
		kid: k.ID, alg: k.Alg, jose: a.jose, priv: priv,
		publicDER: bytes.Clone(k.PublicDER), sealed: bytes.Clone(k.PrivateSealed),
	}
	m.jwk = jose.JSONWebKey{Key: priv.Public(), KeyID: k.ID, Algorithm: k.Alg, Use: "sig"}
	if m.jwkJSON, err = json.Marshal(m.jwk); err != nil {
		return nil, fmt.Errorf("keys: signing key %s: encode JWK: %w", k.ID, err)
	}
	return m, nil
}

func checkPublic(k jeton.SigningKey, pub crypto.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("keys: signing key %s: encode public key: %w", k.ID, err)
	}
	if !bytes.Equal(der, k.PublicDER) {
		return fmt.Errorf("keys: signing key %s: stored public key does not match the private key", k.ID)
	}
	kid, err := thumbprint(pub)
	if err != nil {
		return fmt.Errorf("keys: signing key %s: thumbprint: %w", k.ID, err)
	}
	if kid != k.ID {
		return fmt.Errorf("keys: signing key %s: kid is not the key's RFC 7638 thumbprint", k.ID)
	}
	return nil
}

// unchanged reports whether the stored row still holds the key bytes m was opened from.
func (m *material) unchanged(k jeton.SigningKey) bool {
	return m.kid == k.ID && m.alg == k.Alg &&
		bytes.Equal(m.sealed, k.PrivateSealed) && bytes.Equal(m.publicDER, k.PublicDER)
}

// Signer signs tokens with one of jeton's keys.
//
// It is the seam that lets signing keys move into a KMS or HSM later (DESIGN rule 7):
// the engine only ever asks for a kid, an alg and a compact JWS, never for key bytes.
// Implementations are safe for concurrent use.
type Signer interface {
	// KeyID is the kid placed in the JWS header.
	KeyID() string
	// Alg is the JWS alg (RFC 7518 §3.1): ES256, RS256, PS256 or EdDSA.
	Alg() string
	// Sign returns the JWS compact serialization (RFC 7515 §7.1) of payload with a
	// protected header holding alg, kid and typ: "at+jwt" for access tokens (RFC 9068
	// §2.1), "JWT" for ID tokens.
	Sign(payload []byte, typ string) (string, error)
}

// KeyID implements Signer.
func (m *material) KeyID() string { return m.kid }

// Alg implements Signer.
func (m *material) Alg() string { return m.alg }

// Sign implements Signer. The go-jose signer for each typ is built once and then only
// read, which go-jose supports concurrently; the hot path is one map load and one
// signature.
func (m *material) Sign(payload []byte, typ string) (string, error) {
	s, err := m.joseSigner(typ)
	if err != nil {
		return "", err
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("keys: sign with %s: %w", m.kid, err)
	}
	return jws.CompactSerialize()
}

func (m *material) joseSigner(typ string) (jose.Signer, error) {
	if s, ok := m.signers.Load(typ); ok {
		return s.(jose.Signer), nil
	}
	if typ == "" {
		return nil, errors.New("keys: sign: empty typ header")
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	// Passing a JSONWebKey with KeyID makes go-jose put kid in the protected header.
	key := jose.JSONWebKey{Key: m.priv, KeyID: m.kid, Algorithm: m.alg}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: m.jose, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("keys: signer for %s: %w", m.kid, err)
	}
	actual, _ := m.signers.LoadOrStore(typ, s)
	return actual.(jose.Signer), nil
}

// published reports whether k belongs in the JWK Set at now: from CreatedAt until
// UnpublishAt (exclusive), or indefinitely while UnpublishAt is unset.
func published(k jeton.SigningKey, now time.Time) bool {
	return !k.CreatedAt.After(now) && (k.UnpublishAt.IsZero() || now.Before(k.UnpublishAt))
}

package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"
)

// rsaBits is the modulus size of generated RS256/PS256 keys.
//
// 2048 bits, not 3072: it is the minimum FAPI 2.0 and RFC 7518 §3.3 require and NIST SP
// 800-57 accepts through 2030, while a 3072-bit key costs about three times as much per
// signature on every token issued and per verification at every resource server. A
// signing key protects tokens that live at most MaxTokenTTL and is meant to be rotated,
// so its security horizon is short; long-horizon assurance belongs to the ES256 key
// (128-bit security at a fraction of the cost), which is why ES256 is listed first.
const rsaBits = 2048

// algorithm describes one supported JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1).
type algorithm struct {
	jose     jose.SignatureAlgorithm
	generate func() (crypto.Signer, error)
	// fits reports whether a parsed public key is of the kind the alg needs, so that a
	// row whose alg and key disagree is refused at load instead of failing per request.
	fits func(crypto.PublicKey) bool
}

var algorithms = map[string]algorithm{
	"ES256": {jose.ES256, generateP256, fitsP256},
	"RS256": {jose.RS256, generateRSA, fitsRSA},
	"PS256": {jose.PS256, generateRSA, fitsRSA},
	"EdDSA": {jose.EdDSA, generateEd25519, fitsEd25519},
}

// SupportedAlgs lists the JWS algorithms jeton can generate keys for, sorted.
func SupportedAlgs() []string {
	algs := make([]string, 0, len(algorithms))
	for name := range algorithms {
		algs = append(algs, name)
	}
	slices.Sort(algs)
	return algs
}

func lookupAlg(name string) (algorithm, error) {
	a, ok := algorithms[name]
	if !ok {
		return algorithm{}, fmt.Errorf("keys: unsupported signing algorithm %q (supported: %v)", name, SupportedAlgs())
	}
	return a, nil
}

func generateP256() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func generateRSA() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, rsaBits) }

func generateEd25519() (crypto.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

func fitsP256(pub crypto.PublicKey) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k.Curve == elliptic.P256()
}

func fitsRSA(pub crypto.PublicKey) bool {
	k, ok := pub.(*rsa.PublicKey)
	return ok && k.N.BitLen() >= 2048
}

func fitsEd25519(pub crypto.PublicKey) bool {
	_, ok := pub.(ed25519.PublicKey)
	return ok
}

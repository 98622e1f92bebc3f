package clientauth_test

import (
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

// oversizedRSA is an RSA public key of bits bits. A public key needs no primes to be
// parsed, so the test need not spend minutes generating one.
func oversizedRSA(bits int) *rsa.PublicKey {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	return &rsa.PublicKey{N: n.Or(n, big.NewInt(1)), E: 65537}
}

// Registered RSA keys above MaxRSABits are refused, as PEM and as a JWK Set, with an
// error naming the size; MaxRSABits itself is accepted.
func TestRSAKeyOverTheMaximumIsRefused(t *testing.T) {
	for _, bits := range []int{clientauth.MaxRSABits + 8, 16384} {
		key := oversizedRSA(bits)
		_, err := clientauth.ParseKeys([]jeton.ClientKey{pemKey(t, key)})
		want := fmt.Sprintf("RSA key has %d bits; at most %d allowed", bits, clientauth.MaxRSABits)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("PEM key of %d bits: got %v, want an error saying %q", bits, err, want)
		}
		jwks := fmt.Sprintf(`{"keys":[{"kty":"RSA","n":%q,"e":"AQAB"}]}`,
			base64.RawURLEncoding.EncodeToString(key.N.Bytes()))
		if _, err := clientauth.ParseJWKS([]byte(jwks)); err == nil {
			t.Errorf("JWK Set with a %d-bit key accepted", bits)
		}
	}
	if _, err := clientauth.ParseKeys([]jeton.ClientKey{pemKey(t, oversizedRSA(clientauth.MaxRSABits))}); err != nil {
		t.Errorf("key of exactly %d bits: %v", clientauth.MaxRSABits, err)
	}
}

package adminapi

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
)

// minRSABits: NIST SP 800-57 Part 1 rates RSA below 2048 bits as too weak; RFC 7518
// §3.3 requires at least 2048 for RS256/PS256.
const minRSABits = 2048

// checkPublicKeys parses every registered key, so that a key that cannot verify an
// assertion (RFC 7523) is refused at registration rather than at the first token
// request.
func checkPublicKeys(field string, keys []jeton.ClientKey) error {
	if len(keys) > maxPublicKeys {
		return fieldError(field, "at most %d public keys", maxPublicKeys)
	}
	for i, k := range keys {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := checkPublicKey(f, k); err != nil {
			return err
		}
	}
	return nil
}

func checkPublicKey(field string, k jeton.ClientKey) error {
	switch k.Format {
	case jeton.KeyPEM:
		der, err := onePEM(field, k.Data, "PUBLIC KEY")
		if err != nil {
			return err
		}
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return fieldError(field+".data", "not a PKIX public key: %v", err)
		}
		return checkKeyStrength(field+".data", pub)
	case jeton.KeyX509:
		der, err := onePEM(field, k.Data, "CERTIFICATE")
		if err != nil {
			return err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return fieldError(field+".data", "not an X.509 certificate: %v", err)
		}
		return checkKeyStrength(field+".data", cert.PublicKey)
	case jeton.KeyJWKS:
		return checkJWKS(field+".data", k.Data)
	case "":
		return fieldError(field+".format", "required: pem, x509 or jwks")
	}
	return fieldError(field+".format", "unknown key format %q; use pem, x509 or jwks", k.Format)
}

// onePEM decodes exactly one PEM block of the wanted type, with nothing else around it
// (a second block would be silently ignored otherwise).
func onePEM(field, data, want string) ([]byte, error) {
	block, rest := pem.Decode([]byte(data))
	if block == nil {
		return nil, fieldError(field+".data", "no PEM block found")
	}
	if block.Type != want {
		return nil, fieldError(field+".data", "PEM block is %q, want %q", block.Type, want)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, fieldError(field+".data", "exactly one PEM block expected")
	}
	return block.Bytes, nil
}

// checkJWKS parses an RFC 7517 JWK Set and requires public asymmetric keys only: a
// private or symmetric key registered here would be a leaked secret.
func checkJWKS(field, data string) error {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(data), &set); err != nil {
		return fieldError(field, "not a JWK Set: %v", err)
	}
	if len(set.Keys) == 0 {
		return fieldError(field, "JWK Set has no keys")
	}
	for i, k := range set.Keys {
		f := fmt.Sprintf("%s.keys[%d]", field, i)
		if !k.Valid() {
			return fieldError(f, "invalid JWK")
		}
		if !k.IsPublic() {
			return fieldError(f, "JWK holds private or symmetric key material; register the public key only")
		}
		if err := checkKeyStrength(f, k.Key); err != nil {
			return err
		}
	}
	return nil
}

// checkKeyStrength accepts the key types of the algorithms jeton verifies (RFC 7518
// §3, RFC 8037): RSA of at least 2048 bits, ECDSA on NIST curves, Ed25519.
func checkKeyStrength(field string, pub any) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return fieldError(field, "RSA key has %d bits; at least %d required", k.N.BitLen(), minRSABits)
		}
		return nil
	case *ecdsa.PublicKey:
		switch k.Curve.Params().Name {
		case "P-256", "P-384", "P-521":
			return nil
		}
		return fieldError(field, "unsupported elliptic curve")
	case ed25519.PublicKey:
		return nil
	}
	return fieldError(field, "unsupported key type %T", pub)
}

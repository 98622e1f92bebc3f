package cardcore

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

// opensslHelp is what a refused RSA key's answer tells the integrator to run.
const opensslHelp = "openssl genrsa -out private.pem 2048; " +
	"openssl rsa -in private.pem -pubout -out public.pem (upload public.pem), or for a certificate: " +
	`openssl req -new -x509 -key private.pem -out certificate.pem -days 365 -subj "/CN=your-company.example" (upload certificate.pem)`

// registeredKey turns publicKey (a PEM "PUBLIC KEY" or "CERTIFICATE") into the
// client's one registered key and, for a certificate, its subject DN. It accepts what
// CardCore's algorithms verify: RSA of at least minRSA bits (RS256, PS256; RFC 7518
// §3.3) and EC P-256 (ES256, §3.4).
func registeredKey(publicKey string, minRSA int) (jeton.ClientKey, string, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(publicKey)))
	if block == nil {
		return jeton.ClientKey{}, "", errors.New("publicKey must be a PEM public key (-----BEGIN PUBLIC KEY-----) or certificate (-----BEGIN CERTIFICATE-----)")
	}
	key := jeton.ClientKey{Format: jeton.KeyPEM, Data: strings.TrimSpace(publicKey) + "\n"}
	var subject string
	switch block.Type {
	case "PUBLIC KEY":
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return jeton.ClientKey{}, "", errors.New("publicKey is not a valid X.509 certificate")
		}
		key.Format, subject = jeton.KeyX509, cert.Subject.String()
	default:
		return jeton.ClientKey{}, "", fmt.Errorf("publicKey is a PEM %q block; upload the public key or the certificate, never the private key", block.Type)
	}
	// Parse with no RSA minimum so that a small key gets the answer below.
	parsed, err := clientauth.ParseKeysMinRSA([]jeton.ClientKey{key}, 1)
	if err != nil {
		var ke *clientauth.KeyError
		if errors.As(err, &ke) {
			return jeton.ClientKey{}, "", errors.New("publicKey: " + ke.Msg)
		}
		return jeton.ClientKey{}, "", errors.New("publicKey is not a usable public key")
	}
	switch k := parsed[0].Key.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSA {
			return jeton.ClientKey{}, "", fmt.Errorf("publicKey is a %d-bit RSA key; at least %d bits are required. Make a 2048-bit key and certificate with: %s", bits, minRSA, opensslHelp)
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().Name != "P-256" {
			return jeton.ClientKey{}, "", errors.New("publicKey is an EC key on " + k.Curve.Params().Name + "; ES256 needs P-256")
		}
	default:
		return jeton.ClientKey{}, "", errors.New("publicKey must be an RSA or EC P-256 key (RS256, PS256 or ES256)")
	}
	return key, subject, nil
}

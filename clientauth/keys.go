package clientauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	_ "crypto/sha256" // registers crypto.SHA256 for RFC 7638 thumbprints
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
)

// MinRSABits: RFC 7518 §3.3 requires a key of 2048 bits or larger for RS256 and PS256,
// and NIST SP 800-57 Part 1 rates anything smaller as too weak.
const MinRSABits = 2048

// KeyError says which registered key is unusable and why. Path names the part of that
// key at fault, relative to it: "format", "data" or "data.keys[N]" (a JWK Set member).
// The message never holds key material.
type KeyError struct {
	Index int
	Path  string
	Msg   string
}

func (e *KeyError) Error() string { return fmt.Sprintf("key %d: %s: %s", e.Index, e.Path, e.Msg) }

// ParseKeys turns a client's registered public keys (jeton.ClientKey: a PKIX "PUBLIC
// KEY" PEM block, a PEM "CERTIFICATE", or an RFC 7517 JWK Set) into verification keys.
// It refuses what could not safely verify a private_key_jwt assertion (RFC 7523 §3):
// private or symmetric key material, RSA under MinRSABits, curves other than P-256,
// P-384 and P-521, and key types other than RSA, ECDSA and Ed25519. The admin API runs
// it at registration and clientauth at first use, so both apply the same rules.
//
// PEM keys and certificates carry no key id of their own; each gets its RFC 7638
// thumbprint (base64url SHA-256) as KeyID, which is the kid an assertion may name.
func ParseKeys(keys []jeton.ClientKey) ([]jose.JSONWebKey, error) {
	return ParseKeysMinRSA(keys, MinRSABits)
}

// ParseKeysMinRSA is ParseKeys with another RSA minimum, for operators who must accept
// legacy keys (CardCore's guide tells integrators to make 1024-bit ones). Values under
// MinRSABits weaken RFC 7518 §3.3; a zero minRSA means MinRSABits.
func ParseKeysMinRSA(keys []jeton.ClientKey, minRSA int) ([]jose.JSONWebKey, error) {
	if minRSA <= 0 {
		minRSA = MinRSABits
	}
	var out []jose.JSONWebKey
	for i, k := range keys {
		parsed, err := parseKey(k, minRSA)
		if err != nil {
			err.Index = i
			return nil, err
		}
		out = append(out, parsed...)
	}
	return out, nil
}

func parseKey(k jeton.ClientKey, minRSA int) ([]jose.JSONWebKey, *KeyError) {
	switch k.Format {
	case jeton.KeyPEM:
		der, err := onePEM(k.Data, "PUBLIC KEY")
		if err != nil {
			return nil, err
		}
		pub, perr := x509.ParsePKIXPublicKey(der)
		if perr != nil {
			return nil, &KeyError{Path: "data", Msg: "not a PKIX public key"}
		}
		jwk, err := bareKey(pub, minRSA)
		if err != nil {
			return nil, err
		}
		return []jose.JSONWebKey{jwk}, nil
	case jeton.KeyX509:
		der, err := onePEM(k.Data, "CERTIFICATE")
		if err != nil {
			return nil, err
		}
		cert, perr := x509.ParseCertificate(der)
		if perr != nil {
			return nil, &KeyError{Path: "data", Msg: "not an X.509 certificate"}
		}
		jwk, err := bareKey(cert.PublicKey, minRSA)
		if err != nil {
			return nil, err
		}
		return []jose.JSONWebKey{jwk}, nil
	case jeton.KeyJWKS:
		set, err := parseJWKS([]byte(k.Data), minRSA)
		if err != nil {
			err.Path = "data" + err.Path
			return nil, err
		}
		return set, nil
	case "":
		return nil, &KeyError{Path: "format", Msg: "required: pem, x509 or jwks"}
	}
	return nil, &KeyError{Path: "format", Msg: fmt.Sprintf("unknown key format %q; use pem, x509 or jwks", k.Format)}
}

// onePEM decodes exactly one PEM block of the wanted type with nothing around it (a
// second block would otherwise be silently ignored).
func onePEM(data, want string) ([]byte, *KeyError) {
	block, rest := pem.Decode([]byte(data))
	if block == nil {
		return nil, &KeyError{Path: "data", Msg: "no PEM block found"}
	}
	if block.Type != want {
		return nil, &KeyError{Path: "data", Msg: fmt.Sprintf("PEM block is %q, want %q", block.Type, want)}
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, &KeyError{Path: "data", Msg: "exactly one PEM block expected"}
	}
	return block.Bytes, nil
}

// bareKey wraps a public key from PEM or a certificate, with its thumbprint as kid.
func bareKey(pub crypto.PublicKey, minRSA int) (jose.JSONWebKey, *KeyError) {
	if err := checkKeyStrength(pub, minRSA); err != nil {
		return jose.JSONWebKey{}, &KeyError{Path: "data", Msg: err.Error()}
	}
	jwk := jose.JSONWebKey{Key: pub, Use: "sig"}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, &KeyError{Path: "data", Msg: "cannot compute the key's thumbprint"}
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return jwk, nil
}

// ParseJWKS parses an RFC 7517 JWK Set and requires public asymmetric signature keys
// only: a private or symmetric key registered here would be a leaked secret, and an
// encryption key ("use": "enc", RFC 7517 §4.2) must not verify signatures. On error,
// Path is "" (the set) or ".keys[N]".
func ParseJWKS(data []byte) ([]jose.JSONWebKey, *KeyError) { return parseJWKS(data, MinRSABits) }

func parseJWKS(data []byte, minRSA int) ([]jose.JSONWebKey, *KeyError) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, &KeyError{Msg: "not a JWK Set"}
	}
	if len(set.Keys) == 0 {
		return nil, &KeyError{Msg: "JWK Set has no keys"}
	}
	for i, k := range set.Keys {
		if err := checkJWK(k, minRSA); err != nil {
			return nil, &KeyError{Path: fmt.Sprintf(".keys[%d]", i), Msg: err.Error()}
		}
	}
	return set.Keys, nil
}

func checkJWK(k jose.JSONWebKey, minRSA int) error {
	switch {
	case !k.Valid():
		return fmt.Errorf("invalid JWK")
	case !k.IsPublic():
		return fmt.Errorf("JWK holds private or symmetric key material; register the public key only")
	case k.Use != "" && k.Use != "sig":
		return fmt.Errorf("JWK use is %q; only signature keys verify assertions", k.Use)
	}
	return checkKeyStrength(k.Key, minRSA)
}

// checkKeyStrength accepts the key types of the algorithms jeton verifies (RFC 7518
// §3.3, §3.4, §3.5, RFC 8037 §3.1): RSA of at least minRSA bits, ECDSA on NIST curves,
// Ed25519.
func checkKeyStrength(pub any, minRSA int) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < minRSA || n > MaxRSABits {
			return &RSASizeError{Bits: n, Min: minRSA, Max: MaxRSABits}
		}
		return nil
	case *ecdsa.PublicKey:
		switch k.Curve.Params().Name {
		case "P-256", "P-384", "P-521":
			return nil
		}
		return fmt.Errorf("unsupported elliptic curve")
	case ed25519.PublicKey:
		return nil
	}
	return fmt.Errorf("unsupported key type %T", pub)
}

// MaxRSABits bounds registered RSA keys, as crypto/tls bounds the keys of peers: a
// verification's cost grows with the square of the modulus, so a client registering
// a 16,384-bit key would make each of its assertions cost some 64 times a 2048-bit
// one. No CA or HSM issues keys above 8192 bits for signatures.
const MaxRSABits = 8192

// RSASizeError is an RSA key under the configured minimum or over MaxRSABits.
type RSASizeError struct{ Bits, Min, Max int }

func (e *RSASizeError) Error() string {
	if e.Max > 0 && e.Bits > e.Max {
		return fmt.Sprintf("RSA key has %d bits; at most %d allowed", e.Bits, e.Max)
	}
	return fmt.Sprintf("RSA key has %d bits; at least %d required", e.Bits, e.Min)
}

// fitsAlg reports whether key can verify a signature of alg (RFC 7518 §3.1, RFC 8037
// §3.1), so that a key is never tried with an algorithm of another family. Key sizes
// were checked when the keys were parsed (ParseKeysMinRSA).
func fitsAlg(key any, alg jose.SignatureAlgorithm) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return alg == jose.RS256 || alg == jose.PS256
	case *ecdsa.PublicKey:
		return alg == jose.ES256 && k.Curve.Params().Name == "P-256"
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

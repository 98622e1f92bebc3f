package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

// signCardCoreAssertion signs a client assertion as CardCore's integration guide
// describes it — header {"alg":"RS256"|"ES256","typ":"JWT"} without kid, iss the
// registered website, sub the client id, quoted iat and exp, a random jti — the way an
// integrator's own code would, without importing the server's CardCore module (the
// soak is a client, and the vendor-removal proof deletes that module).
func signCardCoreAssertion(key crypto.Signer, clientID, website, audience string, now time.Time, ttl time.Duration) (string, error) {
	var alg jose.SignatureAlgorithm
	var sk any = key
	switch key.Public().(type) {
	case *rsa.PublicKey:
		alg = jose.RS256
	case *ecdsa.PublicKey:
		ec, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return "", errors.New("soak: EC assertion keys must be *ecdsa.PrivateKey")
		}
		alg, sk = jose.ES256, clientauth.LowSSigner(ec)
	default:
		return "", errors.New("soak: assertion keys are RSA or EC P-256")
	}
	iss := website
	if iss == "" {
		iss = clientID
	}
	payload, err := json.Marshal(map[string]string{"iss": iss, "sub": clientID, "aud": audience,
		"iat": strconv.FormatInt(now.Unix(), 10), "exp": strconv.FormatInt(now.Add(ttl).Unix(), 10), "jti": jeton.NewID()})
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: sk}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

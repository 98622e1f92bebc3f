package cardcore

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

// AssertionClaims are the claims of a client assertion as CardCore's guide writes
// them: iss the company URL, sub the client ID, aud the environment URL, iat and exp
// as quoted epoch seconds. The guide has no jti; SignAssertion adds a random one,
// because RS256 signatures are deterministic and two jti-less assertions made in the
// same second would be the same bytes, which jeton accepts only once.
type AssertionClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	IssuedAt string `json:"iat"`
	Expiry   string `json:"exp"`
	ID       string `json:"jti,omitempty"`
}

// SignAssertion signs a client assertion exactly as CardCore's guide describes:
// header {"alg":"RS256","typ":"JWT"} (ES256 for an EC key), no kid, quoted iat/exp,
// plus a random jti (see AssertionClaims).
// It is what `jeton assertion sign` prints, so integrators need not paste private keys
// into web tools.
func SignAssertion(key crypto.Signer, clientID, issuer, audience string, now time.Time, ttl time.Duration) (string, error) {
	var alg jose.SignatureAlgorithm
	var sk any = key
	switch key.Public().(type) {
	case *rsa.PublicKey:
		alg = jose.RS256
	case *ecdsa.PublicKey:
		alg = jose.ES256
		ec, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return "", errors.New("cardcore: EC assertion keys must be *ecdsa.PrivateKey")
		}
		sk = clientauth.LowSSigner(ec) // jeton accepts only low-S ECDSA signatures
	default:
		return "", errors.New("cardcore: assertion keys are RSA or EC P-256")
	}
	if issuer == "" {
		issuer = clientID
	}
	payload, err := json.Marshal(AssertionClaims{
		Issuer: issuer, Subject: clientID, Audience: audience,
		IssuedAt: strconv.FormatInt(now.Unix(), 10), Expiry: strconv.FormatInt(now.Add(ttl).Unix(), 10),
		ID: jeton.NewID(),
	})
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

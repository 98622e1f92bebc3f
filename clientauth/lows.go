package clientauth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// ECDSA signatures are malleable: if (r, s) verifies, so does (r, n-s), made by anyone
// from a signature they saw. What makes that harmless is the replay key: a jti names
// the assertion, and a jti-less one (CardCore) is keyed on its signing input
// (signingInput), so the twin of a used assertion is the same assertion and is refused
// as a replay. The twin of an unused assertion gives whoever saw it nothing the
// original did not.
//
// Refusing high-S outright (AssertionConfig.RequireLowS, `serve --require-low-s`, the
// rule Bitcoin's BIP 62 and Ethereum's EIP-2 chose) makes each message's signature
// unique, but RFC 7518 §3.4 accepts both forms and most signers (Go's crypto/ecdsa,
// OpenSSL, Java, WebCrypto) emit high-S half the time, so a strict server refuses
// about half of an ordinary client's requests. It is therefore an operator's choice,
// off by default.

// es256Size is the length of an ES256 JWS signature: R and S as 32-byte big-endian
// integers, concatenated (RFC 7518 §3.4).
const es256Size = 64

var (
	p256N        = elliptic.P256().Params().N
	p256HalfN    = new(big.Int).Rsh(p256N, 1)
	p256HalfNBuf = p256HalfN.FillBytes(make([]byte, es256Size/2))
)

var errHighS = errors.New("ECDSA signature is not in low-S form (s must be at most n/2)")

// checkLowS refuses an ES256 compact JWS whose S is above n/2. Any other length is
// left to the signature check, which fails it. assertion has passed split.
func checkLowS(assertion string) error {
	raw := assertion[strings.LastIndexByte(assertion, '.')+1:]
	if base64.RawURLEncoding.DecodedLen(len(raw)) != es256Size {
		return nil
	}
	var sig [es256Size]byte
	if _, err := base64.RawURLEncoding.Decode(sig[:], []byte(raw)); err != nil {
		return nil
	}
	if bytes.Compare(sig[es256Size/2:], p256HalfNBuf) > 0 {
		return errHighS
	}
	return nil
}

// signingInput is a compact JWS's signing input, ASCII(header "." payload) (RFC 7515
// §5.1 step 6): what the signature covers, so the same for every valid signature of
// one message. assertion has passed split.
func signingInput(assertion string) string {
	return assertion[:strings.LastIndexByte(assertion, '.')]
}

// LowSSigner returns a go-jose signer that makes ES256 signatures in low-S form, the
// only form jeton accepts. Go's crypto/ecdsa, like most libraries, leaves half of its
// signatures high-S. key must be on P-256.
func LowSSigner(key *ecdsa.PrivateKey) jose.OpaqueSigner { return lowSSigner{key} }

type lowSSigner struct{ key *ecdsa.PrivateKey }

func (s lowSSigner) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: s.key.Public(), Algorithm: string(jose.ES256), Use: "sig"}
}

func (lowSSigner) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{jose.ES256} }

// SignPayload signs SHA-256(payload) and returns R || S with S replaced by n - S when
// it is above n/2 (RFC 7518 §3.4).
func (s lowSSigner) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != jose.ES256 || s.key.Curve != elliptic.P256() {
		return nil, errors.New("clientauth: LowSSigner signs ES256 with a P-256 key only")
	}
	h := sha256.Sum256(payload)
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, h[:])
	if err != nil {
		return nil, err
	}
	if sv.Cmp(p256HalfN) > 0 {
		sv.Sub(p256N, sv)
	}
	out := make([]byte, es256Size)
	r.FillBytes(out[:es256Size/2])
	sv.FillBytes(out[es256Size/2:])
	return out, nil
}

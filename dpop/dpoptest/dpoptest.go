// Package dpoptest makes DPoP proofs (RFC 9449 §4.2) for tests, good ones and every
// kind of bad one: a client's side of the protocol, written from the RFC, not from
// package dpop.
package dpoptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key is a client's DPoP key pair (P-256, ES256).
type Key struct {
	Private *ecdsa.PrivateKey
}

// NewKey makes a fresh key.
func NewKey(t testing.TB) *Key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Private: k}
}

// JKT is the key's RFC 7638 SHA-256 thumbprint, base64url (cnf.jkt, dpop_jkt).
func (k *Key) JKT(t testing.TB) string {
	t.Helper()
	tp, err := (&jose.JSONWebKey{Key: &k.Private.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// Proof is one proof's parts, editable before Sign.
type Proof struct {
	Header map[string]any
	Claims map[string]any
	// Alg is how Sign signs: "ES256" (default), "HS256" (with the key's X as the
	// MAC key) or "none" (no signature).
	Alg string
	// SignWith, when set, signs with another key than the one in the header.
	SignWith *ecdsa.PrivateKey
}

// New starts a proof for method htm at uri htu, issued now, with a fresh jti.
func (k *Key) New(htm, htu string, now time.Time) *Proof {
	jwk := jose.JSONWebKey{Key: &k.Private.PublicKey}
	b, _ := jwk.MarshalJSON()
	var pub map[string]any
	_ = json.Unmarshal(b, &pub)
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	return &Proof{
		Header: map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": pub},
		Claims: map[string]any{"jti": base64.RawURLEncoding.EncodeToString(jti), "htm": htm, "htu": htu, "iat": now.Unix()},
		Alg:    "ES256", SignWith: k.Private,
	}
}

// ATH sets ath to the hash of an access token (RFC 9449 §4.2).
func (p *Proof) ATH(accessToken string) *Proof {
	sum := sha256.Sum256([]byte(accessToken))
	p.Claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	return p
}

// Nonce sets the server nonce.
func (p *Proof) Nonce(n string) *Proof { p.Claims["nonce"] = n; return p }

// WithPrivateJWK puts the private key (d) in the jwk header, which §4.3 forbids.
func (p *Proof) WithPrivateJWK(k *Key) *Proof {
	jwk := p.Header["jwk"].(map[string]any)
	jwk["d"] = base64.RawURLEncoding.EncodeToString(k.Private.D.FillBytes(make([]byte, 32)))
	return p
}

// Sign returns the compact JWS.
func (p *Proof) Sign(t testing.TB) string {
	t.Helper()
	if p.Alg != "" {
		p.Header["alg"] = p.Alg
	}
	h, err := json.Marshal(p.Header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(p.Claims)
	if err != nil {
		t.Fatal(err)
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	var sig []byte
	switch p.Alg {
	case "none":
	case "HS256":
		m := hmac.New(sha256.New, p.SignWith.X.Bytes())
		m.Write([]byte(input))
		sig = m.Sum(nil)
	default:
		d := sha256.Sum256([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, p.SignWith, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(pad(r), pad(s)...)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func pad(n *big.Int) []byte { return n.FillBytes(make([]byte, 32)) }

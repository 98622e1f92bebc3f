package clientauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
)

// FuzzPeekClientID: the pre-parser sees untrusted input before any verification. It
// must never panic, never accept more than the size bound, and only return a sub that
// is non-empty and bounded, from input with exactly two dots.
func FuzzPeekClientID(f *testing.F) {
	f.Add(b64(`{"alg":"RS256","kid":"k"}`) + "." + b64(`{"sub":"c1"}`) + ".c2ln")
	f.Add(b64(`{"alg":"none"}`) + "." + b64(`{"sub":"c1"}`) + ".")
	f.Add(b64(`{"alg":"HS256","crit":["b64"]}`) + "." + b64(`{"sub":null}`) + ".AA")
	f.Add("a.b.c")
	f.Add("..")
	f.Add(`{"payload":"e30","signatures":[{"protected":"e30","signature":""}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		sub, err := PeekClientID(in)
		if err != nil {
			if sub != "" {
				t.Fatalf("error %v with sub %q", err, sub)
			}
			return
		}
		if len(in) > MaxAssertionSize || strings.Count(in, ".") != 2 {
			t.Fatalf("accepted %d bytes with %d dots", len(in), strings.Count(in, "."))
		}
		if sub == "" || len(sub) > maxClientIDLen {
			t.Fatalf("accepted sub of %d bytes", len(sub))
		}
	})
}

// FuzzLooseDate: a CardCore NumericDate (RFC 7519 §2, quoted or not) is refused or is
// an instant between the epoch and the bound; the quoted and bare spellings of a number
// are one date, and its whole seconds written back as a number read as those seconds.
func FuzzLooseDate(f *testing.F) {
	for _, s := range []string{`1639806203`, `"1639806203"`, `1639806203.5`, `-1`, `1e9`, `"1 "`, `""`, `null`, `"\u0031"`, `8589934588`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var d looseDate
		if err := d.UnmarshalJSON([]byte(in)); err != nil {
			if err != errBadDate {
				t.Fatalf("%q refused with %v, not errBadDate", in, err)
			}
			return
		}
		if d.t.Before(time.Unix(0, 0)) || d.t.Unix() > math.MaxInt32*4 {
			t.Fatalf("%q accepted as %v", in, d.t)
		}
		if !strings.HasPrefix(in, `"`) {
			var q looseDate
			quoted, _ := json.Marshal(in)
			if err := q.UnmarshalJSON(quoted); err != nil || !q.t.Equal(d.t) {
				t.Fatalf("%q is %v, quoted %v (%v)", in, d.t, q.t, err)
			}
		}
		var whole looseDate
		if err := whole.UnmarshalJSON([]byte(strconv.FormatInt(d.t.Unix(), 10))); err != nil || whole.t.Unix() != d.t.Unix() {
			t.Fatalf("%q: its seconds %d read back as %v (%v)", in, d.t.Unix(), whole.t, err)
		}
	})
}

// checkVerificationKeys fails t unless every key can verify one of the algorithms a
// private_key_jwt assertion may use (fitsAlg), holds public key material only, is
// strong enough (RSA of at least MinRSABits, NIST curves, Ed25519) and has a key id.
func checkVerificationKeys(t *testing.T, keys []jose.JSONWebKey) {
	t.Helper()
	for _, k := range keys {
		fits := slices.ContainsFunc(privateKeyAlgs, func(a jose.SignatureAlgorithm) bool { return fitsAlg(k.Key, a) })
		ec, isEC := k.Key.(*ecdsa.PublicKey)
		switch {
		case !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig"):
			t.Fatalf("accepted key %+v", k)
		case checkKeyStrength(k.Key, MinRSABits) != nil:
			t.Fatalf("accepted a weak key %T", k.Key)
		case !fits && !(isEC && ec.Curve != elliptic.P256()):
			t.Fatalf("accepted key %T that verifies none of %v", k.Key, privateKeyAlgs)
		}
	}
}

// fuzzPublicKeys are one key of each accepted type, made once per run.
func fuzzPublicKeys(f *testing.F) []crypto.PublicKey {
	f.Helper()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	e256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	e384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ed, _, _ := ed25519.GenerateKey(rand.Reader)
	return []crypto.PublicKey{&r.PublicKey, &e256.PublicKey, &e384.PublicKey, ed}
}

// FuzzParseKeys: a client's registered PEM key or certificate (admin input, CardCore
// application registration) is refused with a KeyError naming the key, or gives
// verification keys only (checkVerificationKeys) whose kid is their RFC 7638 thumbprint,
// and whose PEM re-encoding parses to the same key.
func FuzzParseKeys(f *testing.F) {
	for _, pub := range fuzzPublicKeys(f) {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(jeton.KeyPEM), string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	}
	f.Add(string(jeton.KeyPEM), "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n")
	f.Add(string(jeton.KeyX509), "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")
	f.Add(string(jeton.KeyPEM), "-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, format, data string) {
		keys, err := ParseKeys([]jeton.ClientKey{{Format: jeton.KeyFormat(format), Data: data}})
		if err != nil {
			if ke, ok := err.(*KeyError); !ok || ke.Index != 0 || ke.Msg == "" || strings.Contains(ke.Msg, data) && len(data) > 8 {
				t.Fatalf("refusal %v (%T) is not a KeyError without the key's data", err, err)
			}
			return
		}
		checkVerificationKeys(t, keys)
		if format == string(jeton.KeyJWKS) {
			return // FuzzParseJWKS's business
		}
		if len(keys) != 1 {
			t.Fatalf("one PEM block gave %d keys", len(keys))
		}
		tp, err := keys[0].Thumbprint(crypto.SHA256)
		if err != nil || keys[0].KeyID != base64.RawURLEncoding.EncodeToString(tp) {
			t.Fatalf("kid %q is not the RFC 7638 thumbprint (%v)", keys[0].KeyID, err)
		}
		der, err := x509.MarshalPKIXPublicKey(keys[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseKeys([]jeton.ClientKey{{Format: jeton.KeyPEM, Data: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}})
		if err != nil || again[0].KeyID != keys[0].KeyID {
			t.Fatalf("the accepted key written as PEM parses as %+v (%v)", again, err)
		}
	})
}

// FuzzParseJWKS: a JWK Set (RFC 7517 §5), registered or fetched from a client's
// jwks_uri, is refused with a KeyError or gives verification keys only
// (checkVerificationKeys); written out again it parses to keys of the same thumbprints.
func FuzzParseJWKS(f *testing.F) {
	for _, pub := range fuzzPublicKeys(f) {
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "k", Use: "sig"}}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range []string{`{"keys":[]}`, `{"keys":[{"kty":"oct","k":"AAAA"}]}`, `{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`, `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"}]}`, `[]`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		keys, kerr := ParseJWKS([]byte(data))
		if kerr != nil {
			if kerr.Msg == "" {
				t.Fatalf("refusal without a message: %+v", kerr)
			}
			return
		}
		if len(keys) == 0 {
			t.Fatalf("%q accepted with no keys", data)
		}
		checkVerificationKeys(t, keys)
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		if err != nil {
			t.Fatalf("accepted keys do not encode: %v", err)
		}
		again, kerr := ParseJWKS(b)
		if kerr != nil || len(again) != len(keys) {
			t.Fatalf("accepted %q; written again as %s it is refused: %v", data, b, kerr)
		}
		for i := range keys {
			a, _ := keys[i].Thumbprint(crypto.SHA256)
			b, _ := again[i].Thumbprint(crypto.SHA256)
			if string(a) != string(b) || keys[i].KeyID != again[i].KeyID {
				t.Fatalf("key %d changed in a round trip", i)
			}
		}
	})
}

package adminapi_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func pkixPEM(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "PUBLIC KEY", der)
}

func ecPEM(t *testing.T) string {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return pkixPEM(t, k.Public())
}

func certPEM(t *testing.T, key crypto.Signer) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "partner"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "CERTIFICATE", der)
}

func jwks(t *testing.T, keys ...any) string {
	t.Helper()
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k, KeyID: "k", Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestClientPublicKeys(t *testing.T) {
	e := newEnv(t)
	inst := mustInstitution(t, e, "Bank")
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ec)

	ok := []struct {
		name string
		key  jeton.ClientKey
	}{
		{"pem ec", jeton.ClientKey{Format: jeton.KeyPEM, Data: pkixPEM(t, ec.Public())}},
		{"pem rsa 2048", jeton.ClientKey{Format: jeton.KeyPEM, Data: pkixPEM(t, rsa2048.Public())}},
		{"pem ed25519", jeton.ClientKey{Format: jeton.KeyPEM, Data: pkixPEM(t, edPub)}},
		{"x509 ec", jeton.ClientKey{Format: jeton.KeyX509, Data: certPEM(t, ec)}},
		{"jwks ec+rsa", jeton.ClientKey{Format: jeton.KeyJWKS, Data: jwks(t, ec.Public(), rsa2048.Public())}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.c.CreateClient(context.Background(), adminapi.ClientInput{InstitutionID: inst.ID, Name: "PK",
				AuthMethod: jeton.AuthPrivateKey, PublicKeys: []jeton.ClientKey{tc.key}})
			if err != nil {
				t.Fatal(err)
			}
		})
	}

	bad := []struct {
		name  string
		key   jeton.ClientKey
		field string
	}{
		{"no format", jeton.ClientKey{Data: pkixPEM(t, ec.Public())}, "public_keys[0].format"},
		{"unknown format", jeton.ClientKey{Format: "der", Data: "x"}, "public_keys[0].format"},
		{"not pem", jeton.ClientKey{Format: jeton.KeyPEM, Data: "hello"}, "public_keys[0].data"},
		{"private key pem", jeton.ClientKey{Format: jeton.KeyPEM, Data: pemOf(t, "PRIVATE KEY", ecPKCS8)}, "public_keys[0].data"},
		{"cert as pem", jeton.ClientKey{Format: jeton.KeyPEM, Data: certPEM(t, ec)}, "public_keys[0].data"},
		{"pem as x509", jeton.ClientKey{Format: jeton.KeyX509, Data: pkixPEM(t, ec.Public())}, "public_keys[0].data"},
		{"two blocks", jeton.ClientKey{Format: jeton.KeyPEM, Data: pkixPEM(t, ec.Public()) + pkixPEM(t, edPub)}, "public_keys[0].data"},
		{"garbage der", jeton.ClientKey{Format: jeton.KeyPEM, Data: pemOf(t, "PUBLIC KEY", []byte{1, 2, 3})}, "public_keys[0].data"},
		{"rsa 1024", jeton.ClientKey{Format: jeton.KeyPEM, Data: pkixPEM(t, rsa1024.Public())}, "public_keys[0].data"},
		{"p224", jeton.ClientKey{Format: jeton.KeyPEM, Data: pkixPEM(t, p224.Public())}, "public_keys[0].data"},
		{"jwks not json", jeton.ClientKey{Format: jeton.KeyJWKS, Data: "{"}, "public_keys[0].data"},
		{"jwks empty", jeton.ClientKey{Format: jeton.KeyJWKS, Data: `{"keys":[]}`}, "public_keys[0].data"},
		{"jwks private", jeton.ClientKey{Format: jeton.KeyJWKS, Data: jwks(t, ec.Public(), edPriv)}, "public_keys[0].data.keys[1]"},
		{"jwks symmetric", jeton.ClientKey{Format: jeton.KeyJWKS, Data: jwks(t, []byte("0123456789abcdef0123456789abcdef"))}, "public_keys[0].data.keys[0]"},
		{"jwks weak rsa", jeton.ClientKey{Format: jeton.KeyJWKS, Data: jwks(t, rsa1024.Public())}, "public_keys[0].data.keys[0]"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			body := mustJSON(t, adminapi.ClientInput{InstitutionID: inst.ID, Name: "PK", AuthMethod: jeton.AuthPrivateKey,
				PublicKeys: []jeton.ClientKey{tc.key}})
			e.raw("POST", "/admin/v1/clients", body).wantError(t, 400, "invalid_field", tc.field)
		})
	}
	t.Run("second key named", func(t *testing.T) {
		body := mustJSON(t, adminapi.ClientInput{InstitutionID: inst.ID, Name: "PK", AuthMethod: jeton.AuthPrivateKey,
			PublicKeys: []jeton.ClientKey{ok[0].key, {Format: jeton.KeyPEM, Data: "x"}}})
		e.raw("POST", "/admin/v1/clients", body).wantError(t, 400, "invalid_field", "public_keys[1].data")
	})
}

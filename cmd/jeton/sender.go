package main

import (
	"crypto/x509"
	"errors"
	"os"
	"time"

	"github.com/jeton/jeton/dpop"
)

// buildDPoP is the DPoP proof verifier (RFC 9449) of the token endpoint, PAR and
// userinfo, or nil with --dpop=false. A proof's jti is single-use through the store's
// assertion replay record; server nonces (--dpop-nonce) are HMACs of a time window
// under a key derived from the KEK, so every replica accepts every other's without a
// store round trip (dpop.Nonces).
func (a *app) buildDPoP() *dpop.Verifier {
	if !a.cfg.DPoP {
		return nil
	}
	return &dpop.Verifier{
		Replay: a.store, RequireNonce: a.cfg.DPoPNonce, Now: time.Now,
		Nonces: &dpop.Nonces{Key: dpop.DeriveNonceKey(a.kek), PreviousKeys: derived(a.previousKEKs, dpop.DeriveNonceKey)},
	}
}

// loadClientCAs reads --tls-client-ca: the CAs tls_client_auth certificates chain to
// (RFC 8705 §2.1). No file is no CA: the method then refuses every client.
func loadClientCAs(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("--tls-client-ca " + file + ": no PEM certificate in it")
	}
	return pool, nil
}

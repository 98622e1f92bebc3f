package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/jeton/jeton/dialect/cardcore"
)

func init() {
	replicaVendors = append(replicaVendors, replicaVendor{
		name:  "cardcore",
		args:  []string{"--cardcore-audience", cardcoreEnv},
		check: cardcoreReplayOnThree,
	})
}

// cardcoreReplayOnThree: a CardCore assertion carries no jti, so its single-use record
// is keyed by its digest (docs/dialects/cardcore.md); one that got a token on A is
// refused on B and C, and one raced on all three gets exactly one token.
func cardcoreReplayOnThree(t *testing.T, rs []*replica, institutionID string) {
	out, _, err := runCLI(t, "", "institution", "key", "create", institutionID, "-o", "json", "--data-dir", rs[0].dir)
	if err != nil {
		t.Fatal(err)
	}
	instKey, _ := decodeOne(t, out)["key"].(string)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "replicas.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	const website = "https://replicas.example"
	status, created := postEnvelope(t, rs[0].public+"/cardcore"+cardcore.CreatePath, instKey, map[string]any{
		"name": "replicated app", "description": "cards", "scopes": []string{"READ"},
		"publicKey": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		"grantType": "client_credentials", "websiteUrl": website, "iconUrl": website + "/icon.png", "isOfficial": true,
	})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, created)
	}
	data := created["data"].(map[string]any)
	clientID, appKey := data["clientId"].(string), data["institutionId"].(string)
	token := func(r *replica, assertion string) int {
		status, _ := postEnvelope(t, r.public+"/cardcore"+cardcore.TokenPath, "", map[string]any{
			"grant_type": "client_credentials", "institutionId": appKey, "client_id": clientID,
			"client_assertion_type": cardcore.AssertionType, "client_assertion": assertion})
		return status
	}
	used := vendorAssertion(t, key, clientID, website, 0)
	if status := token(rs[0], used); status != http.StatusOK {
		t.Fatalf("first use on A: %d", status)
	}
	for i, r := range rs[1:] {
		if status := token(r, used); status != http.StatusUnauthorized {
			t.Errorf("replay on replica %d: %d", i+1, status)
		}
	}
	for round := range 3 {
		raced := vendorAssertion(t, key, clientID, website, int64(round+1))
		as := raceAll(rs, 5, func(r *replica) answer { return answer{status: token(r, raced)} })
		if ok, refused := countStatus(as, 200), countStatus(as, 401); ok != 1 || refused != len(as)-1 {
			t.Errorf("round %d: one CardCore assertion 15 times on three replicas: %d × 200, %d × 401", round, ok, refused)
		}
	}
}

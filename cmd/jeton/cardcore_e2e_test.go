package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton/dialect/cardcore"
)

const cardcoreEnv = "https://sandbox-api.cardcore.cloud"

// vendorAssertion signs a client assertion by hand exactly as CardCore's guide
// describes: header {"alg":"RS256","typ":"JWT"}, iss the company URL, sub the client
// ID, aud the environment URL, iat and exp quoted, no jti.
//
// RS256 signatures are deterministic, so two such assertions made in the same second
// are the same bytes, which the digest rule refuses the second time; n varies exp.
func vendorAssertion(t *testing.T, key *rsa.PrivateKey, clientID, iss string, n int64) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	now := time.Now().Unix()
	claims := fmt.Sprintf(`{"iss":%q,"sub":%q,"aud":%q,"iat":"%d","exp":"%d"}`, iss, clientID, cardcoreEnv, now, now+300+n)
	input := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims))
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + enc(sig)
}

// postEnvelope POSTs JSON and decodes CardCore's envelope.
func postEnvelope(t *testing.T, url, bearer string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s: not JSON: %s", url, raw)
	}
	if env["statusCode"] != float64(resp.StatusCode) {
		t.Fatalf("%s: statusCode %v in a %d answer", url, env["statusCode"], resp.StatusCode)
	}
	return resp.StatusCode, env
}

// TestCardCoreEndToEnd: an institution key from the CLI, an application registered
// with a crypto/x509 certificate, a token from the dialect's own listener (a base URL
// without a path), a refresh under /cardcore on the public listener, and both access
// tokens verified against the JWKS.
func TestCardCoreEndToEnd(t *testing.T) {
	s := startServer(t, "--cardcore-addr", "127.0.0.1:0", "--cardcore-audience", cardcoreEnv)
	ctx := context.Background()
	inst, err := s.admin.CreateInstitution(ctx, "Fintech Bank")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "", "institution", "key", "create", inst.ID, "-o", "json",
		"--server", s.adminURL, "--token", s.token, "--data-dir", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	instKey, _ := decodeOne(t, out)["key"].(string)
	if instKey == "" {
		t.Fatalf("no key in %s", out)
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "fintech.example", Organization: []string{"Fintech Ltd"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	const website = "https://fintech.example"
	status, created := postEnvelope(t, s.public+"/cardcore"+cardcore.CreatePath, instKey, map[string]any{
		"name": "Fintech app", "description": "cards", "scopes": []string{"READ", "WRITE"},
		"publicKey": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		"grantType": "client_credentials", "websiteUrl": website, "iconUrl": website + "/icon.png", "isOfficial": true,
	})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, created)
	}
	data := created["data"].(map[string]any)
	clientID, appKey := data["clientId"].(string), data["institutionId"].(string)
	if data["subject"] != "CN=fintech.example,O=Fintech Ltd" {
		t.Errorf("subject %v", data["subject"])
	}

	// Root of the own listener: a client whose base URL has no path segment.
	own := "http://" + s.ownAddr(t, "cardcore")
	status, tok := postEnvelope(t, own+cardcore.TokenPath, "", map[string]any{
		"grant_type": "client_credentials", "institutionId": appKey, "client_id": clientID,
		"client_assertion_type": cardcore.AssertionType, "client_assertion": vendorAssertion(t, key, clientID, website, 0),
	})
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, tok)
	}
	td := tok["data"].(map[string]any)
	set := fetchJWKS(t, s.public)
	at := verifyAccessToken(t, td["accessToken"].(string), set, jose.ES256)
	if at.ClientID != clientID || at.Subject != clientID || at.InstitutionID != inst.ID || at.Scope != "READ WRITE" {
		t.Errorf("access token claims %+v", at)
	}
	refresh, _ := td["refreshToken"].(string)
	if refresh == "" || td["institutionId"] != appKey || td["expiresIn"] != float64(3600) {
		t.Fatalf("token data %v", td)
	}

	// Refresh under the prefix of the public listener; the assertion is required here too.
	status, rt := postEnvelope(t, s.public+"/cardcore"+cardcore.TokenPath, "", map[string]any{
		"grant_type": "refresh_token", "institutionId": appKey, "client_id": clientID, "refresh_token": refresh,
		"client_assertion_type": cardcore.AssertionType, "client_assertion": vendorAssertion(t, key, clientID, website, 1),
	})
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, rt)
	}
	rd := rt["data"].(map[string]any)
	if _, ok := rd["refreshToken"]; ok {
		t.Errorf("refresh answer carries refreshToken: %v", rd)
	}
	if c := verifyAccessToken(t, rd["accessToken"].(string), set, jose.ES256); c.ClientID != clientID {
		t.Errorf("refreshed access token claims %+v", c)
	}

	// `jeton assertion sign` makes an assertion the endpoint takes.
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	signed, _, err := runCLI(t, "", "assertion", "sign", "--key", keyFile, "--client-id", clientID, "--aud", cardcoreEnv, "--iss", website)
	if err != nil {
		t.Fatal(err)
	}
	status, again := postEnvelope(t, s.public+"/cardcore"+cardcore.TokenPath, "", map[string]any{
		"institutionId": appKey, "client_id": clientID,
		"client_assertion_type": cardcore.AssertionType, "client_assertion": strings.TrimSpace(signed),
	})
	if status != http.StatusOK {
		t.Fatalf("token with `jeton assertion sign`: %d %v", status, again)
	}
}

func init() {
	hostileVendors = append(hostileVendors, hostileVendor{
		args: []string{"--cardcore-addr", "127.0.0.1:0"},
		requests: func(t *testing.T, s *liveServer, pub string, rnd func() string) []*http.Request {
			own := "http://" + s.ownAddr(t, "cardcore")
			body := func() string {
				return `{"grant_type":"` + rnd() + `","institutionId":"` + rnd() + `","client_id":"` + rnd() +
					`","client_assertion_type":"` + rnd() + `","client_assertion":"` + rnd() + `"}`
			}
			return []*http.Request{
				hostileRequest(t, "POST", pub+"/cardcore/institutions/oauth/token", jsonType, body()),
				hostileRequest(t, "GET", pub+"/cardcore/institutions/oauth/token?grant_type="+rnd(), "", ""),
				hostileRequest(t, "POST", pub+"/cardcore/institutions/oauth/create", jsonType, body(), "Authorization", "Bearer "+rnd()),
				hostileRequest(t, "DELETE", pub+"/cardcore/institutions/oauth/"+rnd(), "", "", "Authorization", "Bearer "+rnd()),
				hostileRequest(t, "POST", own+"/institutions/oauth/token", jsonType, body()),
				hostileRequest(t, "PUT", own+"/institutions/oauth/"+rnd(), jsonType, body()),
			}
		},
	})
	tlsVendors = append(tlsVendors, "cardcore")
	bodyLimitVendors = append(bodyLimitVendors, bodyLimitVendor{
		args: []string{"--cardcore-addr", "127.0.0.1:0"},
		targets: func(t *testing.T, s *liveServer, pub string) []bodyTarget {
			return []bodyTarget{
				{pub, "/cardcore/institutions/oauth/token", jsonType, ""},
				{pub, "/cardcore/institutions/oauth/create", jsonType, ""},
				{s.ownAddr(t, "cardcore"), "/institutions/oauth/token", jsonType, ""},
			}
		},
	})
}

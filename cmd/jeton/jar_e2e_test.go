package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/jeton/jeton"
)

// TestSignedPaymentRequestThroughServe is issue 18's JAR and RAR walk against a live
// `serve`, in Go (x/oauth2 and a hand-signed request object): a client registered
// through the CLI with --public-key, --require-signed-request-object and
// --authorization-details-types pushes a signed request object carrying a payment to
// PAR, the customer signs in and approves it, and the token response carries the
// payment. An unsigned push and a replayed object are refused.
func TestSignedPaymentRequestThroughServe(t *testing.T) {
	s := startServer(t)
	cb, got := callbackServer(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pemFile := filepath.Join(t.TempDir(), "request-objects.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	_, clientID, secret := oidcSetup(t, s, cb.URL+"/cb", "--public-key", pemFile,
		"--require-signed-request-object", "--authorization-details-types", "payment_initiation")
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: cb.URL + "/cb",
		Endpoint: oauth2.Endpoint{AuthURL: s.public + "/oauth2/authorize", TokenURL: s.public + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	var details any
	_ = json.Unmarshal([]byte(browserPayment), &details)
	now := time.Now()
	claims := map[string]any{"iss": clientID, "aud": s.public, "client_id": clientID, "jti": jeton.NewID(),
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "response_type": "code",
		"redirect_uri": cb.URL + "/cb", "scope": "openid", "state": "jar-state",
		"code_challenge": oauth2.S256ChallengeFromVerifier(verifier), "code_challenge_method": "S256",
		"authorization_details": details}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("oauth-authz-req+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	push := func(form url.Values) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, s.public+"/oauth2/par", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(clientID, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if status, out := push(url.Values{"response_type": {"code"}, "redirect_uri": {cb.URL + "/cb"}, "scope": {"openid"}}); status != http.StatusBadRequest {
		t.Fatalf("unsigned push: %d %v", status, out)
	}
	status, out := push(url.Values{"request": {obj}})
	if status != http.StatusCreated {
		t.Fatalf("signed push: %d %v", status, out)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	get := func(u string) string {
		resp, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	post := func(u string, form url.Values) string {
		resp, err := browser.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	page := get(s.public + "/oauth2/authorize?" + url.Values{"client_id": {clientID}, "request_uri": {out["request_uri"].(string)}}.Encode())
	m := csrf.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no login page:\n%s", page)
	}
	page = post(s.public+"/oauth2/authorize/login", url.Values{"csrf": {m[1]}, "username": {"alice"}, "password": {"alice's long password"}})
	if m = csrf.FindStringSubmatch(page); m == nil || !strings.Contains(page, "250.00 EUR") || !strings.Contains(page, "Merchant &lt;A&gt;") {
		t.Fatalf("no consent page with the payment:\n%s", page)
	}
	post(s.public+"/oauth2/authorize/consent", url.Values{"csrf": {m[1]}, "decision": {"allow"}})
	q := <-got
	if q.Get("state") != "jar-state" || q.Get("code") == "" {
		t.Fatalf("callback got %v", q)
	}
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(tok.Extra("authorization_details"))
	var gotDetails any
	_ = json.Unmarshal(b, &gotDetails)
	if g, w := asJSONText(gotDetails), asJSONText(details); g != w {
		t.Errorf("token response authorization_details = %s, want %s", g, w)
	}
	// The same object again, by value: its jti was spent at PAR.
	page = get(s.public + "/oauth2/authorize?" + url.Values{"client_id": {clientID}, "request": {obj}}.Encode())
	if !strings.Contains(page, "used before") {
		t.Errorf("replayed object not refused:\n%s", page)
	}
}

func asJSONText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

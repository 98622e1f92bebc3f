package main

import (
	"context"
	"crypto"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/internal/testcert"
)

// senderServer is a live serve over HTTPS that asks for client certificates, trusts
// one CA for tls_client_auth and requires DPoP nonces, with the clients and customer
// the openid-client scenarios use.
type senderServer struct {
	base   string
	public testcert.Pair
	env    map[string]any
	client *http.Client
	mtls   testcert.Pair
	code   adminapi.CreatedClient
}

func startSenderServer(t *testing.T) *senderServer {
	t.Helper()
	dir := t.TempDir()
	public, ca := testcert.New(t, "public"), testcert.New(t, "Open Banking Test CA")
	pc, pk := certFiles(t, dir, "public", public)
	caFile, _ := certFiles(t, dir, "ca", ca)
	args := []string{"--tls-cert", pc, "--tls-key", pk, "--tls-client-certs", "request", "--tls-client-ca", caFile, "--dpop-nonce"}
	cfg := testServeConfig(t, filepath.Join(dir, "data"), args...)
	logs := &syncBuffer{}
	logger, _ := newLogger(logs, "json", "info")
	ctx, cancel := context.WithCancel(context.Background())
	a, err := startApp(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	s := &senderServer{base: "https://" + a.publicLn.Addr().String(), public: public, client: pinnedClient(public)}
	t.Cleanup(s.client.CloseIdleConnections)
	admin := adminapi.NewClient(readFile(t, filepath.Join(cfg.DataDir, adminURLFile)), readFile(t, filepath.Join(cfg.DataDir, adminTokenFile)), http.DefaultClient)
	inst, err := admin.CreateInstitution(ctx, "First Credit Union")
	must(t, err)
	const password = "correct horse battery staple"
	_, err = admin.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: password})
	must(t, err)
	redirect := "https://rp.example/cb"
	s.code, err = admin.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "Budget Buddy",
		Grants: []string{jeton.GrantAuthorizationCode, jeton.GrantRefreshToken}, Scopes: []string{"openid", "profile", "offline_access"},
		RedirectURIs: []string{redirect}, RequirePAR: true, SenderConstraints: jeton.SenderConstraints{DPoPBoundAccessTokens: true}})
	must(t, err)
	machine, err := admin.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "Payments backend",
		Scopes: []string{"accounts"}, SenderConstraints: jeton.SenderConstraints{DPoPBoundAccessTokens: true}})
	must(t, err)
	const dn = "CN=fintech-rp,O=Fintech Ltd"
	mtls, err := admin.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "mTLS partner",
		AuthMethod: jeton.AuthTLSClient, Scopes: []string{"accounts"}, SenderConstraints: jeton.SenderConstraints{TLSClientAuthSubjectDN: dn}})
	must(t, err)
	s.mtls = ca.Issue(t, pkix.Name{CommonName: "fintech-rp", Organization: []string{"Fintech Ltd"}})
	s.env = map[string]any{
		"issuer": s.base, "ca": string(public.CertPEM), "username": "alice", "password": password,
		"clients": map[string]any{
			"code":    map[string]string{"client_id": s.code.ClientID, "client_secret": s.code.ClientSecret, "redirect_uri": redirect},
			"machine": map[string]string{"client_id": machine.ClientID, "client_secret": machine.ClientSecret},
			"mtls":    map[string]string{"client_id": mtls.ClientID, "cert": string(s.mtls.CertPEM), "key": string(s.mtls.KeyPEM)},
		},
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// introspect asks the introspection endpoint about tok as the code client.
func (s *senderServer) introspect(t *testing.T, tok string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.base+"/oauth2/introspect", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.code.ClientID, s.code.ClientSecret)
	resp, err := s.client.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var out map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

// jkt is the RFC 7638 thumbprint of the public JWK a scenario reports.
func jkt(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var k jose.JSONWebKey
	must(t, k.UnmarshalJSON(raw))
	tp, err := k.Thumbprint(crypto.SHA256)
	must(t, err)
	return base64.RawURLEncoding.EncodeToString(tp)
}

type traceEntry struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
	Error  string `json:"error"`
	Nonce  bool   `json:"nonce"`
}

// boundTo checks an access token is active, token_type DPoP and bound to key.
func (s *senderServer) boundTo(t *testing.T, what, tok, key string) {
	t.Helper()
	info := s.introspect(t, tok)
	cnf, _ := info["cnf"].(map[string]any)
	if info["active"] != true || info["token_type"] != "DPoP" || cnf["jkt"] != key {
		t.Errorf("%s: introspection %v, want an active DPoP token with cnf.jkt %s", what, info, key)
	}
}

// TestOpenIDClientSenderConstrained runs openid-client v6 against a live serve: a
// DPoP-bound code flow with PAR, the nonce challenge, refresh and userinfo; a DPoP
// client_credentials call; and an mTLS client whose token is certificate-bound.
func TestOpenIDClientSenderConstrained(t *testing.T) {
	s := startSenderServer(t)
	t.Run("dpop-code-par", func(t *testing.T) {
		var r struct {
			JWK                  json.RawMessage `json:"jwk"`
			TokenType            string          `json:"token_type"`
			RefreshedTokenType   string          `json:"refreshed_token_type"`
			AccessToken          string          `json:"access_token"`
			RefreshedAccessToken string          `json:"refreshed_access_token"`
			Sub, UserinfoSub     string
			Userinfo2Sub         string       `json:"userinfo2_sub"`
			BearerRefused        bool         `json:"bearer_refused"`
			Trace                []traceEntry `json:"trace"`
		}
		runRP(t, "dpop-code-par", s.env, &r)
		t.Logf("openid-client's requests: %+v", r.Trace)
		key := jkt(t, r.JWK)
		if !strings.EqualFold(r.TokenType, "DPoP") || !strings.EqualFold(r.RefreshedTokenType, "DPoP") {
			t.Errorf("token types %q, %q; want DPoP", r.TokenType, r.RefreshedTokenType)
		}
		s.boundTo(t, "code exchange", r.AccessToken, key)
		s.boundTo(t, "refresh", r.RefreshedAccessToken, key)
		if r.Sub == "" || r.Userinfo2Sub != r.Sub || !r.BearerRefused {
			t.Errorf("userinfo: sub %q, after refresh %q, bearer refused %v", r.Sub, r.Userinfo2Sub, r.BearerRefused)
		}
		challenged := 0
		for _, e := range r.Trace {
			if e.Status == 400 && e.Error == "use_dpop_nonce" && e.Nonce {
				challenged++
			}
		}
		if challenged == 0 {
			t.Errorf("no use_dpop_nonce challenge with a DPoP-Nonce in the trace %+v", r.Trace)
		}
	})
	t.Run("dpop-client-credentials", func(t *testing.T) {
		var r struct {
			JWK         json.RawMessage `json:"jwk"`
			TokenType   string          `json:"token_type"`
			AccessToken string          `json:"access_token"`
		}
		runRP(t, "dpop-client-credentials", s.env, &r)
		if !strings.EqualFold(r.TokenType, "DPoP") {
			t.Errorf("token type %q", r.TokenType)
		}
		s.boundTo(t, "client_credentials", r.AccessToken, jkt(t, r.JWK))
	})
	t.Run("mtls-client-credentials", func(t *testing.T) {
		var r struct {
			TokenType   string `json:"token_type"`
			AccessToken string `json:"access_token"`
		}
		runRP(t, "mtls-client-credentials", s.env, &r)
		info := s.introspect(t, r.AccessToken)
		cnf, _ := info["cnf"].(map[string]any)
		if info["active"] != true || cnf["x5t#S256"] != jeton.CertThumbprint(s.mtls.Cert.Raw) {
			t.Errorf("introspection %v, want cnf.x5t#S256 of the client certificate", info)
		}
	})
}

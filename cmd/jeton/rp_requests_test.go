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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jeton/jeton/internal/testcert"
)

// startHTTPSServe runs serve over HTTPS (openid-client speaks only HTTPS) and returns
// it as a liveServer whose public URL is https, and a client pinned to its
// certificate.
func startHTTPSServe(t *testing.T) (*liveServer, testcert.Pair, *http.Client) {
	t.Helper()
	dir := t.TempDir()
	public := testcert.New(t, "public")
	pc, pk := certFiles(t, dir, "public", public)
	cfg := testServeConfig(t, filepath.Join(dir, "data"), "--tls-cert", pc, "--tls-key", pk)
	logger, _ := newLogger(&syncBuffer{}, "json", "info")
	ctx, cancel := context.WithCancel(context.Background())
	a, err := startApp(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	s := &liveServer{app: a, dataDir: cfg.DataDir, public: "https://" + a.publicLn.Addr().String(),
		adminURL: readFile(t, filepath.Join(cfg.DataDir, adminURLFile)), token: readFile(t, filepath.Join(cfg.DataDir, adminTokenFile))}
	hc := pinnedClient(public)
	t.Cleanup(hc.CloseIdleConnections)
	return s, public, hc
}

// TestOpenIDClientRequestObjectsAndDetails runs openid-client v6 against a live serve
// (issue 18): a code flow whose whole request is a signed request object (RFC 9101)
// for a client registered through the CLI with --require-signed-request-object and its
// public key; and a payment asked for as authorization_details (RFC 9396) that the
// customer approves and that the token response and introspection carry.
func TestOpenIDClientRequestObjectsAndDetails(t *testing.T) {
	s, public, hc := startHTTPSServe(t)
	const redirect = "https://rp.example/cb"
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	must(t, err)
	privDER, err := x509.MarshalPKCS8PrivateKey(key)
	must(t, err)
	pemFile := filepath.Join(t.TempDir(), "request-objects.pem")
	must(t, os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600))
	_, jarID, jarSecret := oidcSetup(t, s, redirect, "--public-key", pemFile, "--require-signed-request-object")
	_, rarID, rarSecret := oidcSetup(t, s, redirect, "--authorization-details-types", "payment_initiation")
	var payment []any
	must(t, json.Unmarshal([]byte(browserPayment), &payment))
	env := map[string]any{
		"issuer": s.public, "ca": string(public.CertPEM), "username": "alice", "password": "alice's long password",
		"payment": payment,
		"clients": map[string]any{
			"jar": map[string]string{"client_id": jarID, "client_secret": jarSecret, "redirect_uri": redirect,
				"key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))},
			"rar": map[string]string{"client_id": rarID, "client_secret": rarSecret, "redirect_uri": redirect},
		},
	}

	t.Run("jar-code", func(t *testing.T) {
		var r struct {
			AuthorizationURL string       `json:"authorization_url"`
			Query            []string     `json:"query"`
			Sub              string       `json:"sub"`
			AccessToken      string       `json:"access_token"`
			Trace            []traceEntry `json:"trace"`
		}
		runRP(t, "jar-code", env, &r)
		// Everything but client_id travelled inside the object.
		if !slices.Equal(r.Query, []string{"client_id", "request"}) {
			t.Errorf("authorization URL parameters %v, want only client_id and request", r.Query)
		}
		if r.Sub == "" || r.AccessToken == "" {
			t.Errorf("code flow ended without an ID token subject (%q) or access token", r.Sub)
		}
		// The object's jti was spent: the same sign-in link is refused.
		resp, err := hc.Get(r.AuthorizationURL)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "used before") {
			t.Errorf("replayed request object not refused: %d\n%s", resp.StatusCode, body)
		}
	})

	t.Run("rar-payment", func(t *testing.T) {
		var r struct {
			TokenDetails         json.RawMessage `json:"token_details"`
			IntrospectionActive  bool            `json:"introspection_active"`
			IntrospectionDetails json.RawMessage `json:"introspection_details"`
			AccessToken          string          `json:"access_token"`
			Trace                []traceEntry    `json:"trace"`
		}
		runRP(t, "rar-payment", env, &r)
		want := asJSONText(payment)
		if g := jsonText(t, r.TokenDetails); g != want {
			t.Errorf("token response authorization_details = %s, want %s", g, want)
		}
		if g := jsonText(t, r.IntrospectionDetails); !r.IntrospectionActive || g != want {
			t.Errorf("introspection: active %v, authorization_details = %s, want %s", r.IntrospectionActive, g, want)
		}
		consented := slices.ContainsFunc(r.Trace, func(e traceEntry) bool { return e.URL == "/oauth2/authorize/consent" })
		if !consented {
			t.Errorf("no consent step in openid-client's requests %+v", r.Trace)
		}
	})
}

// jsonText re-encodes raw so that member order does not matter in a comparison.
func jsonText(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return asJSONText(v)
}

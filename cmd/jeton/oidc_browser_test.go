package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// oidcSetup registers, through the CLI, an institution with branding, a customer and
// a confidential authorization_code client whose redirect URI is callback.
func oidcSetup(t *testing.T, s *liveServer, callback string, clientFlags ...string) (instID, clientID, secret string) {
	t.Helper()
	conn := []string{"--server", s.adminURL, "--token", s.token}
	run := func(stdin string, args ...string) map[string]any {
		t.Helper()
		out, errOut, err := runCLI(t, stdin, append(append(args, conn...), "-o", "json")...)
		if err != nil {
			t.Fatalf("jeton %v: %v\n%s", args, err, errOut)
		}
		return decodeOne(t, out)
	}
	instID = run("", "institution", "create", "--name", "First Credit Union")["id"].(string)
	run("", "institution", "branding", instID, "--display-name", "First Credit Union", "--accent-color", "#0b6e4f")
	run("alice's long password\n", "customer", "create", "--institution", instID, "--username", "alice",
		"--claim", "name=Alice Martin", "--claim", "email=alice@example.com")
	args := append([]string{"client", "create", "--institution", instID, "--name", "Budget Buddy",
		"--grant", "authorization_code,refresh_token", "--scope", "openid profile email offline_access",
		"--redirect-uri", callback}, clientFlags...)
	c := run("", args...)
	secret, _ = c["client_secret"].(string)
	return instID, c["client_id"].(string), secret
}

// callbackServer stands in for the partner app: it records the query its redirect URI
// receives.
func callbackServer(t *testing.T) (*httptest.Server, chan url.Values) {
	got := make(chan url.Values, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Query()
		fmt.Fprintln(w, "<!doctype html><title>Budget Buddy</title><h1 id=done>Signed in</h1>")
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// TestBrowserSignIn drives headless Chromium through the whole flow — authorization
// URL, login page, consent page, the client's callback — then exchanges the code and
// verifies the ID token with coreos/go-oidc. It saves screenshots of the login and
// consent pages at 390 and 1280 px (into $JETON_SCREENSHOTS when set, else a temp dir).
func TestBrowserSignIn(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install -y chromium; .ci/run does it): skipping the browser test")
	}
	start := time.Now()
	s := startServer(t)
	cb, got := callbackServer(t)
	_, clientID, secret := oidcSetup(t, s, cb.URL+"/cb")
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, s.public)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: cb.URL + "/cb",
		Endpoint: provider.Endpoint(), Scopes: []string{gooidc.ScopeOpenID, "email", "profile"}}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("browser-state", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("browser-nonce"))

	shots := os.Getenv("JETON_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	alloc, cancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU)...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 25*time.Second)
	defer cancel()
	shoot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			for _, width := range []int64{390, 1280} {
				if _, err := chromedp.EmulateViewport(width, 844)(ctx, tg); err != nil {
					return err
				}
				png, err := chromedp.FullScreenshot(100)(ctx, tg)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err = chromedp.Do(bctx,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.ID("username")),
		shoot("login"),
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "alice's long password"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("allow")),
		shoot("consent"),
		chromedp.Click(chromedp.ID("allow")),
		chromedp.WaitVisible(chromedp.ID("done")),
	)
	if err != nil {
		t.Fatalf("browser: %v\nserver log:\n%s", err, s.logs.String())
	}
	q := <-got
	if q.Get("state") != "browser-state" || q.Get("iss") != s.public || q.Get("code") == "" {
		t.Fatalf("callback got %v", q)
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&gooidc.Config{ClientID: clientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil || idt.Nonce != "browser-nonce" || claims.Email != "alice@example.com" || claims.Name != "Alice Martin" {
		t.Fatalf("id_token nonce %q claims %+v (%v)", idt.Nonce, claims, err)
	}
	for _, f := range []string{"login-390.png", "login-1280.png", "consent-390.png", "consent-1280.png"} {
		if fi, err := os.Stat(filepath.Join(shots, f)); err != nil || fi.Size() < 1000 {
			t.Errorf("screenshot %s: %v", f, err)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("browser test took %v, budget 30 s", d)
	}
	t.Logf("screenshots in %s; took %v", shots, time.Since(start).Round(time.Millisecond))
	if strings.Contains(s.logs.String(), "alice's long password") {
		t.Error("the password reached the log")
	}
}

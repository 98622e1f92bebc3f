package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton/oidc"
)

// TestAuthorizeErrorsShownOnOurPage: until the redirect URI is trusted, nothing goes
// to it (RFC 6749 §4.1.2.1) — in particular no open redirect.
func TestAuthorizeErrorsShownOnOurPage(t *testing.T) {
	s := newServer(t)
	tests := map[string]url.Values{
		"unregistered redirect_uri":          {"redirect_uri": {"https://evil.example/cb"}},
		"prefix of a registered URI":         {"redirect_uri": {"https://app.example/c"}},
		"registered URI as prefix":           {"redirect_uri": {"https://app.example/cb/../../evil"}},
		"registered URI plus query":          {"redirect_uri": {"https://app.example/cb?x=https://evil.example"}},
		"javascript: URI":                    {"redirect_uri": {"javascript:alert(document.domain)//https://app.example/cb"}},
		"missing redirect_uri":               {"redirect_uri": nil},
		"repeated redirect_uri":              {"redirect_uri": {redirectURI, "https://evil.example/cb"}},
		"unknown client":                     {"client_id": {"nobody"}},
		"missing client":                     {"client_id": nil},
		"request_uri not ours":               {"request_uri": {"https://evil.example/req"}},
		"unknown request_uri":                {"request_uri": {"urn:ietf:params:oauth:request-uri:nope"}},
		"redirect to another client's URI":   {"client_id": {"web"}, "redirect_uri": {"https://app.example/cb#frag"}},
		"encoded open redirect in the value": {"redirect_uri": {"https%3A%2F%2Fevil.example"}},
	}
	for name, extra := range tests {
		t.Run(name, func(t *testing.T) {
			p := newBrowser(t).get(s.authURL("web", extra))
			if p.status != http.StatusBadRequest || p.header.Get("Location") != "" {
				t.Fatalf("status %d Location %q, want 400 on jeton's page", p.status, p.header.Get("Location"))
			}
			if !strings.Contains(p.body, "We can't continue") {
				t.Errorf("not the error page:\n%s", p.body)
			}
		})
	}
}

// TestAuthorizeErrorsToClient: once the redirect URI is trusted, errors go back to the
// client with state and iss (RFC 6749 §4.1.2.1, RFC 9207).
func TestAuthorizeErrorsToClient(t *testing.T) {
	s := newServer(t)
	long := strings.Repeat("s", 8<<10)
	tests := []struct {
		name   string
		client string
		extra  url.Values
		code   string
	}{
		{"plain PKCE", "web", url.Values{"code_challenge": {verifier}, "code_challenge_method": {"plain"}}, "invalid_request"},
		{"challenge without method (plain)", "web", url.Values{"code_challenge": {challenge}}, "invalid_request"},
		{"method without challenge", "web", url.Values{"code_challenge_method": {"S256"}}, "invalid_request"},
		{"malformed challenge", "web", url.Values{"code_challenge": {"short"}, "code_challenge_method": {"S256"}}, "invalid_request"},
		{"public client without PKCE", "spa", url.Values{"code_challenge": nil, "code_challenge_method": nil}, "invalid_request"},
		{"unknown scope", "web", url.Values{"scope": {"openid admin"}}, "invalid_scope"},
		{"malformed scope", "web", url.Values{"scope": {"openid  email"}}, "invalid_scope"},
		{"response_type token", "web", url.Values{"response_type": {"token"}}, "unsupported_response_type"},
		{"missing response_type", "web", url.Values{"response_type": nil}, "invalid_request"},
		{"response_mode fragment", "web", url.Values{"response_mode": {"fragment"}}, "invalid_request"},
		{"prompt=none without a session", "web", url.Values{"prompt": {"none"}}, "login_required"},
		{"prompt none with login", "web", url.Values{"prompt": {"none login"}}, "invalid_request"},
		{"unknown prompt", "web", url.Values{"prompt": {"select_account"}}, "invalid_request"},
		{"negative max_age", "web", url.Values{"max_age": {"-1"}}, "invalid_request"},
		{"repeated scope", "web", url.Values{"scope": {"openid", "email"}}, "invalid_request"},
		{"8 KiB nonce", "web", url.Values{"nonce": {long}}, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newBrowser(t).get(s.authURL(tt.client, tt.extra)).location(t)
			if q.Get("error") != tt.code || q.Get("state") != "st-1" || q.Get("iss") != s.url || q.Has("code") {
				t.Fatalf("got %v, want error=%s with state and iss", q, tt.code)
			}
		})
	}
	t.Run("8 KiB state", func(t *testing.T) {
		p := newBrowser(t).get(s.authURL("web", url.Values{"state": {long}}))
		q := p.location(t)
		if q.Get("error") != "invalid_request" || q.Has("state") || len(p.header.Get("Location")) > 1024 {
			t.Fatalf("got %v; want invalid_request without echoing the state", q)
		}
	})
}

// TestLoginHintIsOnlyText: login_hint pre-fills the username, escaped, and never
// becomes a redirect.
func TestLoginHintIsOnlyText(t *testing.T) {
	s := newServer(t)
	for _, hint := range []string{"https://evil.example/", `"><script>alert(1)</script>`, "//evil.example"} {
		p := newBrowser(t).get(s.authURL("web", url.Values{"login_hint": {hint}}))
		if !p.isLogin() || p.header.Get("Location") != "" {
			t.Fatalf("hint %q: status %d Location %q", hint, p.status, p.header.Get("Location"))
		}
		if strings.Contains(p.body, "<script>") || strings.Contains(p.body, `value="https://evil.example/"`) == false && hint == "https://evil.example/" {
			t.Errorf("hint %q not rendered as escaped text", hint)
		}
	}
}

func TestPagesSecurityHeadersAndCookie(t *testing.T) {
	s := newServer(t)
	p := newBrowser(t).get(s.authURL("web", nil))
	h := p.header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self' https://app.example"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", h)
	}
	c := h.Get("Set-Cookie")
	if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") || !strings.HasPrefix(c, "jeton=") {
		t.Errorf("cookie %q", c)
	}
	if strings.Contains(c, "cust-alice") || strings.Contains(c, "st-1") {
		t.Error("cookie is readable")
	}
}

func TestFormsRefuseMissingCSRFAndTamperedCookie(t *testing.T) {
	s := newServer(t)
	login := func(t *testing.T, b *browser, form url.Values) page {
		return b.post(s.url+oidc.LoginPath, form)
	}
	creds := url.Values{"username": {"alice"}, "password": {alicePass}}
	t.Run("CSRF token missing", func(t *testing.T) {
		b := newBrowser(t)
		b.get(s.authURL("web", nil))
		if p := login(t, b, creds); p.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", p.status)
		}
	})
	t.Run("CSRF token wrong", func(t *testing.T) {
		b := newBrowser(t)
		b.get(s.authURL("web", nil))
		form := url.Values{"csrf": {"AAAA"}, "username": creds["username"], "password": creds["password"]}
		if p := login(t, b, form); p.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", p.status)
		}
	})
	t.Run("tampered session cookie", func(t *testing.T) {
		b := newBrowser(t)
		p := b.get(s.authURL("web", nil))
		u, _ := url.Parse(s.url)
		cs := b.c.Jar.Cookies(u)
		v := []byte(cs[0].Value)
		v[len(v)/2] ^= 1
		cs[0].Value = string(v)
		b.c.Jar.SetCookies(u, cs)
		form := url.Values{"csrf": {p.csrf(t)}, "username": creds["username"], "password": creds["password"]}
		if p := login(t, b, form); p.status != http.StatusBadRequest || p.isConsent() {
			t.Fatalf("status %d, want 400", p.status)
		}
		// A signed-in session whose cookie is tampered with counts as signed out.
		q := s.signIn(t, b, s.authURL("first", nil))
		if q.Get("code") == "" {
			t.Fatal("no code")
		}
		cs = b.c.Jar.Cookies(u)
		v = []byte(cs[0].Value)
		v[5] ^= 1
		cs[0].Value = string(v)
		b.c.Jar.SetCookies(u, cs)
		if p := b.get(s.authURL("first", nil)); !p.isLogin() {
			t.Fatalf("tampered signed-in cookie was accepted: %d", p.status)
		}
	})
	t.Run("no cookie at all", func(t *testing.T) {
		if p := login(t, newBrowser(t), creds); p.status != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", p.status)
		}
	})
}

func TestLoginConsentBehaviour(t *testing.T) {
	s := newServer(t)
	t.Run("wrong password shows the same message", func(t *testing.T) {
		b := newBrowser(t)
		p := b.get(s.authURL("web", nil))
		for _, pw := range []string{"wrong", strings.Repeat("x", 5000)} {
			p = b.post(s.url+oidc.LoginPath, url.Values{"csrf": {p.csrf(t)}, "username": {"alice"}, "password": {pw}})
			if !p.isLogin() || !strings.Contains(p.body, "The username or password is incorrect.") {
				t.Fatalf("status %d:\n%s", p.status, p.body)
			}
		}
		p = b.post(s.url+oidc.LoginPath, url.Values{"csrf": {p.csrf(t)}, "username": {"mallory"}, "password": {"x"}})
		if !strings.Contains(p.body, "The username or password is incorrect.") {
			t.Fatal("unknown user answered differently")
		}
		cu, err := s.store.GetCustomer(context.Background(), "bank-a", s.alice.ID)
		must(t, err)
		if cu.FailedAttempts != 1 {
			t.Errorf("failed attempts %d, want 1 (the over-long password costs no hash and no count)", cu.FailedAttempts)
		}
		must(t, s.store.ClearLoginFailures(context.Background(), "bank-a", s.alice.ID))
	})
	t.Run("deny", func(t *testing.T) {
		b := newBrowser(t)
		p := b.get(s.authURL("web", nil))
		p = b.post(s.url+oidc.LoginPath, url.Values{"csrf": {p.csrf(t)}, "username": {"alice"}, "password": {alicePass}})
		if !p.isConsent() || !strings.Contains(p.body, "Budget Buddy") || !strings.Contains(p.body, "See your email address") {
			t.Fatalf("consent page:\n%s", p.body)
		}
		if q := b.post(s.url+oidc.ConsentPath, url.Values{"csrf": {p.csrf(t)}, "decision": {"deny"}}).location(t); q.Get("error") != "access_denied" || q.Get("state") != "st-1" {
			t.Fatalf("deny: %v", q)
		}
	})
	t.Run("first-party skips consent; prompt and max_age", func(t *testing.T) {
		b := newBrowser(t)
		if q := s.signIn(t, b, s.authURL("first", nil)); q.Get("code") == "" {
			t.Fatal("no code")
		}
		if q := b.get(s.authURL("first", url.Values{"prompt": {"none"}})).location(t); q.Get("code") == "" {
			t.Errorf("prompt=none with a session: %v", q)
		}
		if p := b.get(s.authURL("first", url.Values{"prompt": {"login"}})); !p.isLogin() {
			t.Error("prompt=login did not ask again")
		}
		if p := b.get(s.authURL("first", url.Values{"max_age": {"0"}})); !p.isLogin() {
			t.Error("max_age=0 did not ask again")
		}
		if q := b.get(s.authURL("web", url.Values{"prompt": {"none"}})).location(t); q.Get("error") != "consent_required" {
			t.Errorf("prompt=none needing consent: %v", q)
		}
		if p := b.get(s.authURL("web", url.Values{"prompt": {"consent"}})); !p.isConsent() {
			t.Error("prompt=consent did not show consent")
		}
	})
}

func TestUserinfoRefusals(t *testing.T) {
	s := newServer(t)
	do := func(auth string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, s.url+oidc.UserinfoPath, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		return resp
	}
	if r := do(""); r.StatusCode != 401 || r.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("no token: %d %q", r.StatusCode, r.Header.Get("WWW-Authenticate"))
	}
	if r := do("Bearer not-a-token"); r.StatusCode != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("bad token: %d %q", r.StatusCode, r.Header.Get("WWW-Authenticate"))
	}
	if r := do("Basic d2ViOng="); r.StatusCode != 400 {
		t.Errorf("basic auth: %d", r.StatusCode)
	}
}

// TestConsentCoversScopes: consent is skipped only for scopes already allowed, and a
// new consent adds to what was allowed before.
func TestConsentCoversScopes(t *testing.T) {
	s := newServer(t)
	b := newBrowser(t)
	s.signIn(t, b, s.authURL("web", nil)) // openid email: login + consent
	if p := b.get(s.authURL("web", url.Values{"scope": {"openid profile"}})); !p.isConsent() {
		t.Fatalf("a new scope did not ask for consent: %d", p.status)
	} else {
		b.post(s.url+oidc.ConsentPath, url.Values{"csrf": {p.csrf(t)}, "decision": {"allow"}}).location(t)
	}
	for _, scope := range []string{"openid email", "openid profile", "email profile"} {
		if q := b.get(s.authURL("web", url.Values{"scope": {scope}})).location(t); q.Get("code") == "" {
			t.Errorf("scope %q asked again: %v", scope, q)
		}
	}
	if p := b.get(s.authURL("web", url.Values{"scope": {"openid phone"}})); !p.isConsent() {
		t.Error("phone was never allowed but no consent page")
	}
}

// TestLoginLockout: the login page counts failures like the password grant; once
// locked, even the right password gets the same answer.
func TestLoginLockout(t *testing.T) {
	s := newServer(t)
	b := newBrowser(t)
	p := b.get(s.authURL("web", nil))
	for range 5 { // token.DefaultLockout: 5 failures lock
		p = b.post(s.url+oidc.LoginPath, url.Values{"csrf": {p.csrf(t)}, "username": {"alice"}, "password": {"wrong password"}})
	}
	cu, err := s.store.GetCustomer(context.Background(), "bank-a", s.alice.ID)
	must(t, err)
	if !cu.Locked(time.Now()) {
		t.Fatalf("not locked after 5 failures: %+v", cu)
	}
	p = b.post(s.url+oidc.LoginPath, url.Values{"csrf": {p.csrf(t)}, "username": {"alice"}, "password": {alicePass}})
	if !p.isLogin() || !strings.Contains(p.body, "The username or password is incorrect.") {
		t.Fatalf("locked customer signed in: %d", p.status)
	}
}

package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/internal/tracing/tracingtest"
	"github.com/jeton/jeton/oidc"
	"github.com/jeton/jeton/token"
)

// traceSecrets collects what must never leave jeton in a span.
type traceSecrets []string

func (s *traceSecrets) add(vs ...string) {
	for _, v := range vs {
		if v == "" {
			continue
		}
		*s = append(*s, v)
		if len(v) >= 16 {
			*s = append(*s, hex.EncodeToString(jeton.Digest(v))) // its stored form too
		}
	}
}

// tracedCall posts form to the token endpoint with a W3C traceparent and returns the
// answer.
func tracedCall(t *testing.T, s *liveServer, path string, form url.Values, header http.Header) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.public+path, strings.NewReader(form.Encode()))
	if header != nil {
		req.Header = header.Clone()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

var traceCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInForCode walks the authorization endpoint, signing in with password, to a code.
func signInForCode(t *testing.T, s *liveServer, clientID, redirect, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {redirect}, "scope": {"openid offline_access"}, "state": {"s"}}
	resp, err := hc.Get(s.public + oidc.AuthorizePath + "?" + q.Encode())
	for step := 0; err == nil && resp.StatusCode == http.StatusOK && step < 3; step++ {
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := traceCSRF.FindSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF field:\n%s", page)
		}
		resp, err = hc.PostForm(s.public+oidc.LoginPath, url.Values{"csrf": {string(m[1])}, "username": {"alice"}, "password": {password}})
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorization: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// TestTracesEndToEnd runs a real `serve` with --otlp-endpoint pointing at an OTLP/HTTP
// receiver, drives every grant and client authentication with known secrets, stops
// the server (which flushes its spans) and checks what was exported: each token
// request is one trace whose server span is named by its route and has the engine's
// steps (and the password check) under it; a trusted proxy's traceparent is the
// server span's parent and the access log's trace_id; and no exported string holds
// a secret, token, assertion, code or password.
func TestTracesEndToEnd(t *testing.T) {
	col := tracingtest.NewCollector(t)
	s := startServer(t, "--otlp-endpoint", col.URL, "--trusted-proxies", "127.0.0.1/32", "--argon2-memory", "64", "--argon2-passes", "1")
	ctx := context.Background()
	var secrets traceSecrets
	secrets.add(s.token)
	const password, redirect = "Tr4ce-pa55word-never-exported", "https://app.example/cb"
	secrets.add(password)
	inst, err := s.admin.CreateInstitution(ctx, "First Credit Union")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: password}); err != nil {
		t.Fatal(err)
	}
	basic := registerMatrixClient(t, s, inst.ID, jeton.AuthSecretBasic)
	keyed := registerMatrixClient(t, s, inst.ID, jeton.AuthPrivateKey)
	web := s.newClient(t, adminapi.ClientInput{InstitutionID: inst.ID, FirstParty: true, Grants: []string{jeton.GrantAuthorizationCode, jeton.GrantRefreshToken},
		Scopes: []string{"openid", "offline_access"}, RedirectURIs: []string{redirect}})
	secrets.add(basic.ClientSecret, web.ClientSecret, basicCredentials(basic.ClientID, basic.ClientSecret), basicCredentials(web.ClientID, web.ClientSecret))

	const traceID, parentID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	proxied := http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}}
	proxied.Set("Authorization", "Basic "+basicCredentials(basic.ClientID, basic.ClientSecret))
	ok := func(st int, body map[string]any, what string) map[string]any {
		t.Helper()
		if st != http.StatusOK {
			t.Fatalf("%s: %d %v", what, st, body)
		}
		for _, k := range []string{"access_token", "refresh_token", "id_token"} {
			if v, _ := body[k].(string); v != "" {
				secrets.add(v)
			}
		}
		return body
	}
	st, body := tracedCall(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, proxied)
	ok(st, body, "client_credentials through a proxy")
	st, body = basic.post(t, s, "/oauth2/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {password}})
	pw := ok(st, body, "password")
	st, body = basic.post(t, s, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pw["refresh_token"].(string)}})
	ok(st, body, "refresh")
	assertion := keyed.assertion(t, s.app.Issuer+"/oauth2/token")
	secrets.add(assertion)
	st, body = tracedCall(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_assertion": {assertion},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}, nil)
	ok(st, body, "private_key_jwt")
	code := signInForCode(t, s, web.ClientID, redirect, password)
	secrets.add(code)
	st, body = postFormValues(t, s, "/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}, web.ClientID, web.ClientSecret)
	ok(st, body, "code")
	if st, _ := postFormValues(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basic.ClientID, "Wr0ng-"+basic.ClientSecret); st != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", st)
	}
	secrets.add("Wr0ng-" + basic.ClientSecret)
	if st, _ := basic.post(t, s, "/oauth2/introspect", url.Values{"token": {pw["access_token"].(string)}}); st != http.StatusOK {
		t.Fatalf("introspection: %d", st)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	spans := col.Spans()
	if len(spans) < 30 {
		t.Fatalf("only %d spans exported", len(spans))
	}
	byID := map[string]tracingtest.Span{}
	for _, sp := range spans {
		byID[sp.SpanID()] = sp
		if sp.Resource["service.name"] != "jeton" {
			t.Fatalf("resource %v", sp.Resource)
		}
	}
	// The trusted proxy's trace: its span is the parent of the request's.
	var proxiedSpans []tracingtest.Span
	for _, sp := range spans {
		if sp.TraceID() == traceID {
			proxiedSpans = append(proxiedSpans, sp)
		}
	}
	root := findSpan(t, proxiedSpans, "POST /oauth2/token")
	if root.ParentID() != parentID || root.Attr("http.route") != "/oauth2/token" || root.Attr("jeton.grant_type") != "client_credentials" ||
		root.Attr("jeton.client_id") != basic.ClientID || root.Attr("http.response.status_code") != "200" {
		t.Fatalf("proxied request's span: parent %s, attributes %v", root.ParentID(), root.GetAttributes())
	}
	for _, step := range []string{token.SpanGates, token.SpanAuthenticate, token.SpanPolicies, token.SpanGrant, token.SpanIssue} {
		if sp := findSpan(t, proxiedSpans, step); sp.ParentID() != root.SpanID() {
			t.Errorf("%s is not under the request's span", step)
		}
	}
	// One server span per listener, told apart by the port it took the request on.
	_, publicPort, _ := strings.Cut(s.app.publicLn.Addr().String(), "127.0.0.1:")
	_, adminPort, _ := strings.Cut(s.app.adminLn.Addr().String(), "127.0.0.1:")
	if admin := findSpan(t, spans, "POST /admin/v1/clients"); admin.Attr("server.port") != adminPort || root.Attr("server.port") != publicPort {
		t.Errorf("listeners: admin span on port %q (want %s), token span on %q (want %s)", admin.Attr("server.port"), adminPort, root.Attr("server.port"), publicPort)
	}
	// The password grant and the sign-in page verify the password under their request.
	verifies := 0
	for _, sp := range spans {
		if sp.GetName() != token.SpanPasswordVerify {
			continue
		}
		verifies++
		if p := byID[sp.ParentID()]; p.GetName() != token.SpanGrant && p.GetName() != "POST "+oidc.LoginPath {
			t.Errorf("password.verify under %q", p.GetName())
		}
	}
	if verifies < 2 {
		t.Errorf("%d password verifications traced, want the grant's and the sign-in page's", verifies)
	}
	// Every request's access log line carries its trace id.
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		if strings.Contains(line, `"msg":"request"`) && !regexp.MustCompile(`"trace_id":"[0-9a-f]{32}"`).MatchString(line) {
			t.Errorf("access log line without trace_id: %s", line)
		}
	}
	if !strings.Contains(s.logs.String(), `"trace_id":"`+traceID+`"`) {
		t.Error("the proxied request's log line lacks the proxy's trace id")
	}
	// Nothing secret in anything exported.
	checked := 0
	for _, sp := range spans {
		for _, text := range sp.Text() {
			checked++
			if strings.Contains(text, "eyJ") {
				t.Errorf("span %q exports a JWT: %.60q", sp.GetName(), text)
			}
			for _, sec := range secrets {
				if strings.Contains(text, sec) {
					t.Errorf("span %q exports a secret (%.8s…)", sp.GetName(), sec)
				}
			}
		}
	}
	t.Logf("%d spans, %d exported strings checked against %d secrets", len(spans), checked, len(secrets))
	names := map[string]bool{}
	for _, sp := range spans {
		names[sp.GetName()] = true
	}
	t.Logf("span names: %q", slices.Sorted(func(yield func(string) bool) {
		for n := range names {
			if !yield(n) {
				return
			}
		}
	}))
}

func findSpan(t *testing.T, spans []tracingtest.Span, name string) tracingtest.Span {
	t.Helper()
	for _, sp := range spans {
		if sp.GetName() == name {
			return sp
		}
	}
	t.Fatalf("no span %q", name)
	return tracingtest.Span{}
}

func basicCredentials(id, secret string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// postFormValues posts form with Basic credentials.
func postFormValues(t *testing.T, s *liveServer, path string, form url.Values, id, secret string) (int, map[string]any) {
	t.Helper()
	h := http.Header{}
	h.Set("Authorization", "Basic "+basicCredentials(id, secret))
	return tracedCall(t, s, path, form, h)
}

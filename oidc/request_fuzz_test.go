package oidc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/token"
)

var fuzzClient = &jeton.Client{ID: "web", AuthMethod: jeton.AuthNone,
	RedirectURIs: []string{"https://app.example/cb"}, Scopes: []string{"openid", "email"}, DefaultScopes: []string{"openid"}}

// encodeAuthRequest is a validated request as a client would send it again (RFC 6749
// §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3).
func encodeAuthRequest(a *authRequest) url.Values {
	q := url.Values{"redirect_uri": {a.RedirectURI}, "response_type": {"code"}, "scope": {strings.Join(a.Scope, " ")}}
	for name, v := range map[string]string{"state": a.State, "nonce": a.Nonce, "login_hint": a.LoginHint,
		"code_challenge": a.CodeChallenge, "prompt": strings.Join(a.Prompt, " ")} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if a.CodeChallenge != "" {
		q.Set("code_challenge_method", token.PKCEMethodS256)
	}
	if a.MaxAge >= 0 {
		q.Set("max_age", strconv.FormatInt(a.MaxAge, 10))
	}
	return q
}

// FuzzAuthorizeParams: any query either fails validation — before the redirect URI is
// trusted only on jeton's own page, never redirected — or yields a request whose
// redirect URI is registered, whose scopes are allowed, whose PKCE challenge is a
// canonical S256 one, whose prompt is none alone or login/consent, whose lengths are
// bounded; sent again as a client would, it validates to the same request.
func FuzzAuthorizeParams(f *testing.F) {
	for _, seed := range []string{
		"redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
		"redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&prompt=login+consent&max_age=0&state=s&nonce=n&login_hint=alice",
		"redirect_uri=javascript:alert(1)&response_type=code",
		"redirect_uri=https%3A%2F%2Fapp.example%2Fcb&prompt=none+login&max_age=-1",
		"redirect_uri=https%3A%2F%2Fapp.example%2Fcb&redirect_uri=https%3A%2F%2Fevil.example",
		"redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=plain",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		uri, aerr := checkRedirect(q, fuzzClient)
		if aerr != nil {
			if aerr.Redirect {
				t.Fatal("a redirect URI error would be sent to the URI")
			}
			return
		}
		if !slices.Contains(fuzzClient.RedirectURIs, uri) {
			t.Fatalf("accepted unregistered %q", uri)
		}
		req, aerr := parseRequest(q, fuzzClient, uri)
		if aerr != nil {
			if !aerr.Redirect || aerr.Code == "" {
				t.Fatalf("refusal after the redirect URI is trusted stays on the page: %+v", aerr)
			}
			return
		}
		for _, s := range req.Scope {
			if !slices.Contains(fuzzClient.Scopes, s) {
				t.Fatalf("accepted scope %q", s)
			}
		}
		if !token.ValidCodeChallenge(req.CodeChallenge) || len(req.State) > maxParam || len(req.Nonce) > maxParam ||
			len(req.LoginHint) > maxParam || req.MaxAge < -1 || len(req.Scope) == 0 {
			t.Fatalf("accepted %+v", req)
		}
		if req.prompt("none") && len(req.Prompt) > 1 || slices.ContainsFunc(req.Prompt, func(p string) bool { return p != "none" && p != "login" && p != "consent" }) {
			t.Fatalf("accepted prompt %q", req.Prompt)
		}
		again, aerr := parseRequest(encodeAuthRequest(req), fuzzClient, uri)
		if aerr != nil || !reflect.DeepEqual(req, again) {
			t.Fatalf("accepted %+v; sent again it is %+v (%v)", req, again, aerr)
		}
	})
}

// FuzzSessionCookie: a cookie value that was not sealed under our key never opens.
// The seeds are well-formed cookies sealed under another key, and mangled ones.
func FuzzSessionCookie(f *testing.F) {
	s, err := newSealer(SessionKey(make([]byte, 32)), false)
	if err != nil {
		f.Fatal(err)
	}
	other, err := newSealer(SessionKey([]byte("another key")), false)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	w := httptest.NewRecorder()
	_ = other.write(w, &session{CustomerID: "c", Until: now.Unix() + 60, Expires: now.Unix() + 60}, now)
	foreign := w.Result().Cookies()[0].Value
	f.Add(foreign)
	f.Add(foreign[:len(foreign)-1] + "A")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(&http.Cookie{Name: s.name, Value: v})
		if sess, ok := s.read(r, now); ok {
			t.Fatalf("forged cookie %q opened: %+v", v, sess)
		}
	})
}

// FuzzSessionRoundTrip: whatever a session holds, its sealed cookie opens to the same
// session until it expires, and to nothing once any byte of it is changed (AES-GCM,
// the cookie name as additional data).
func FuzzSessionRoundTrip(f *testing.F) {
	s, err := newSealer(SessionKey([]byte("the KEK")), true)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("cust", "inst", "state", "csrf", int64(60), uint16(3))
	f.Add("", "", "\xff\x00", "", int64(1), uint16(0))
	f.Fuzz(func(t *testing.T, customer, inst, state, csrf string, ttl int64, flip uint16) {
		now := time.Unix(1_700_000_000, 0)
		if ttl <= 0 || ttl > 1<<30 {
			return
		}
		in := &session{CustomerID: customer, InstitutionID: inst, AuthTime: now.Unix(), Until: now.Unix() + ttl,
			Expires: now.Unix() + ttl, CSRF: csrf, Pending: &authRequest{ClientID: "web", State: state, MaxAge: -1}}
		w := httptest.NewRecorder()
		if err := s.write(w, in, now); err != nil {
			t.Fatalf("write: %v", err)
		}
		cookie := w.Result().Cookies()[0]
		read := func(v string, at time.Time) (*session, bool) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(&http.Cookie{Name: s.name, Value: v})
			return s.read(r, at)
		}
		got, ok := read(cookie.Value, now)
		want := *in
		want.CustomerID, want.InstitutionID, want.CSRF = viaJSON(customer), viaJSON(inst), viaJSON(csrf)
		p := *in.Pending
		p.State = viaJSON(state)
		want.Pending = &p
		if !ok || !reflect.DeepEqual(got, &want) {
			t.Fatalf("sealed %+v opens as %+v (%v)", want, got, ok)
		}
		if _, ok := read(cookie.Value, now.Add(time.Duration(ttl)*time.Second)); ok {
			t.Fatal("an expired session opened")
		}
		raw, _ := base64.RawURLEncoding.DecodeString(cookie.Value)
		mangled := bytes.Clone(raw)
		mangled[int(flip)%len(mangled)] ^= 0x80
		if _, ok := read(base64.RawURLEncoding.EncodeToString(mangled), now); ok {
			t.Fatalf("a cookie with byte %d changed opened", int(flip)%len(mangled))
		}
	})
}

// viaJSON is s as the session's JSON carries it: each invalid UTF-8 byte becomes U+FFFD.
func viaJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// FuzzBearerToken: the userinfo endpoint (OIDC Core §5.3.1) takes exactly one access
// token, from the Authorization header (RFC 6750 §2.1) or a form body (§2.2), never
// both and never an empty one.
func FuzzBearerToken(f *testing.F) {
	f.Add("Bearer abc", "", false)
	f.Add("bearer abc", "access_token=x", true)
	f.Add("", "access_token=x&access_token=y", true)
	f.Add("Basic abc", "access_token=x", true)
	f.Add("Bearer ", "a=%zz", true)
	f.Fuzz(func(t *testing.T, authz, body string, post bool) {
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		r := httptest.NewRequest(method, "/userinfo", strings.NewReader(body))
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_, tok, err := (&Handler{}).accessToken(r)
		if err != nil {
			if tok != "" {
				t.Fatalf("refused with a token %q", tok)
			}
			return
		}
		_, fromHeader, _ := strings.Cut(authz, " ")
		form, _ := url.ParseQuery(body)
		switch {
		case tok == "":
			t.Fatal("an empty token accepted")
		case authz != "" && tok != fromHeader:
			t.Fatalf("header %q gave %q", authz, tok)
		case authz != "" && post && form.Has("access_token"):
			t.Fatalf("both a header and a form token accepted: %q", tok)
		case authz == "" && (!post || tok != form.Get("access_token")):
			t.Fatalf("%q accepted from %q", tok, body)
		}
	})
}

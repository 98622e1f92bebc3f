package oidc

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var fuzzClient = &jeton.Client{ID: "web", AuthMethod: jeton.AuthNone,
	RedirectURIs: []string{"https://app.example/cb"}, Scopes: []string{"openid", "email"}}

// FuzzAuthorizeParams: any query either fails validation or yields a request whose
// redirect URI is registered, whose scope is allowed, and whose PKCE challenge is S256.
func FuzzAuthorizeParams(f *testing.F) {
	for _, seed := range []string{
		"redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
		"redirect_uri=javascript:alert(1)&response_type=code",
		"redirect_uri=https%3A%2F%2Fapp.example%2Fcb&prompt=none+login&max_age=-1",
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
			return
		}
		for _, s := range req.Scope {
			if !slices.Contains(fuzzClient.Scopes, s) {
				t.Fatalf("accepted scope %q", s)
			}
		}
		if req.CodeChallenge == "" || len(req.State) > maxParam || len(req.Nonce) > maxParam {
			t.Fatalf("accepted %+v", req)
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

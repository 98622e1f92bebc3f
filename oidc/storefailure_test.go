package oidc_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jeton/jeton/oidc"
)

// A store that fails is not the customer's fault: the authorization endpoint answers
// with the 500 page, never with a 400 claiming the link is invalid (which would send
// an operator looking for a bad client instead of a broken database).
func TestAuthorizeStoreFailureIs500(t *testing.T) {
	s := newServer(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(q url.Values) (int, string) {
		t.Helper()
		resp, err := noFollow.Get(s.url + oidc.AuthorizePath + "?" + q.Encode())
		must(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	base := url.Values{"client_id": {"web"}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"openid"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
	if code, _ := get(base); code != http.StatusOK && code != http.StatusFound {
		t.Fatalf("healthy store: status %d", code) // warms the client cache for "web"
	}
	must(t, s.store.Close())

	// An uncached client: the lookup itself fails.
	unknown := url.Values{"client_id": {"spa"}, "response_type": {"code"}, "redirect_uri": {redirectURI}}
	if code, body := get(unknown); code != http.StatusInternalServerError || strings.Contains(body, "not valid") {
		t.Errorf("client lookup on a closed store: status %d, body says invalid link: %v", code, strings.Contains(body, "not valid"))
	}
	// A cached client with a request_uri: consuming the pushed request fails.
	par := url.Values{"client_id": {"web"}, "request_uri": {"urn:ietf:params:oauth:request_uri:abc"}}
	if code, body := get(par); code != http.StatusInternalServerError || strings.Contains(body, "not valid") {
		t.Errorf("request_uri on a closed store: status %d, body says invalid link: %v", code, strings.Contains(body, "not valid"))
	}
}

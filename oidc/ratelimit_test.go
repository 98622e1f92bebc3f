package oidc_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jeton/jeton/oidc"
	"github.com/jeton/jeton/ratelimit"
)

// Over the password-check budget of a customer, the login page answers with a page
// (not JSON): 429 with Retry-After, and the password is not checked, the right one
// included.
func TestLoginOverPasswordBudgetIsA429Page(t *testing.T) {
	l, err := ratelimit.New(ratelimit.Config{PasswordCustomer: ratelimit.Budget{Rate: 0.001, Burst: 2}}, nil, nil)
	must(t, err)
	s := newServerLimited(t, cheap, l.Password)
	b := newBrowser(t)
	p := b.get(s.authURL("web", nil))
	csrf := p.csrf(t)
	for i := 0; i < 2; i++ {
		p = b.post(s.url+oidc.LoginPath, url.Values{"csrf": {csrf}, "username": {"alice"}, "password": {"wrong"}})
		if !p.isLogin() {
			t.Fatalf("attempt %d: status %d", i, p.status)
		}
		csrf = p.csrf(t)
	}
	p = b.post(s.url+oidc.LoginPath, url.Values{"csrf": {csrf}, "username": {"alice"}, "password": {alicePass}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" ||
		!strings.HasPrefix(p.header.Get("Content-Type"), "text/html") || !strings.Contains(p.body, "Too many sign-in attempts") {
		t.Fatalf("status %d Retry-After %q type %q:\n%s", p.status, p.header.Get("Retry-After"), p.header.Get("Content-Type"), p.body)
	}
}

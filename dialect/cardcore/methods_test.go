package cardcore_test

import (
	"net/http"
	"testing"

	"github.com/jeton/jeton/dialect/cardcore"
)

// Every method but POST on the token path is 405 in the envelope with Allow: POST
// (RFC 9110 §15.5.6) — PUT and DELETE included, which the application routes'
// {institutionId} wildcard would otherwise take for an institution called "token".
func TestTokenPathOtherMethodsAre405(t *testing.T) {
	e := newEndpoint(t)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		a := e.call(t, request{method: m, path: cardcore.TokenPath, body: "{}"})
		if a.status != http.StatusMethodNotAllowed || a.env.StatusCode != http.StatusMethodNotAllowed || a.header.Get("Allow") != http.MethodPost {
			t.Errorf("%s: status %d, envelope %d, Allow %q: %s", m, a.status, a.env.StatusCode, a.header.Get("Allow"), a.raw)
		}
	}
}

// A wrong method on the application-management paths is 405 in the envelope too,
// with the path's methods in Allow, never the router's plain-text answer.
func TestManagementPathsOtherMethodsAre405(t *testing.T) {
	e := newEndpoint(t)
	cases := []struct{ path, allow string }{
		{cardcore.CreatePath, "POST"},
		{"/institutions/oauth/some-institution", "PUT, DELETE"},
	}
	for _, c := range cases {
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodOptions} {
			if m == c.allow {
				continue
			}
			a := e.call(t, request{method: m, path: c.path, body: "{}"})
			if a.status != http.StatusMethodNotAllowed || a.env.Error != "invalid_request" || a.header.Get("Allow") != c.allow {
				t.Errorf("%s %s: status %d, error %q, Allow %q: %s", m, c.path, a.status, a.env.Error, a.header.Get("Allow"), a.raw)
			}
		}
	}
}

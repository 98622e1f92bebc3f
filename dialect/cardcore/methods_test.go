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
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		a := e.call(t, request{method: m, path: cardcore.TokenPath, body: "{}"})
		if a.status != http.StatusMethodNotAllowed || a.env.StatusCode != http.StatusMethodNotAllowed || a.header.Get("Allow") != http.MethodPost {
			t.Errorf("%s: status %d, envelope %d, Allow %q: %s", m, a.status, a.env.StatusCode, a.header.Get("Allow"), a.raw)
		}
	}
}

package cardcore_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/cardcore"
)

// FuzzDecodeToken: any body decodes to a request or a protocol error, never a panic,
// and a decoded request always carries an assertion and a 32-hex lower-case key.
func FuzzDecodeToken(f *testing.F) {
	f.Add(`{"institutionId":"30f4f3213f3f9511596daade0b6eEa24","client_id":"c","client_assertion_type":"urn:ietf:params:oauth:client-assertion-type:jwt-bearer","client_assertion":"a.b.c"}`)
	f.Add(`{"institutionId":5}`)
	f.Add(`[]`)
	f.Add(`{"grant_type":null,"refresh_token":"\u0000"}`)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/institutions/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		req, err := cardcore.DecodeToken(r)
		if err != nil {
			var pe *jeton.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a protocol error", err)
			}
			return
		}
		k := req.Credentials.AppKey
		if req.Credentials.Assertion == "" || len(k) != 32 || strings.ToLower(k) != k || req.GrantType == "" {
			t.Fatalf("decoded %+v from %q", req, body)
		}
	})
}

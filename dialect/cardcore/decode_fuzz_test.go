package cardcore

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/token"
)

func jsonRequest(path, body, contentType string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if contentType != "" {
		r.Header["Content-Type"] = []string{contentType}
	}
	return r
}

// checkEnvelope fails t unless w holds a CardCore error envelope (statusCode equal to
// the HTTP status, one of statuses; error one of codes; a message) that is not cached.
func checkEnvelope(t *testing.T, w *httptest.ResponseRecorder, statuses []int, codes []string) {
	t.Helper()
	var env struct {
		StatusCode int             `json:"statusCode"`
		Message    string          `json:"message"`
		Error      string          `json:"error"`
		Data       json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatalf("error answer %d is not JSON: %q", w.Code, w.Body)
	}
	switch {
	case env.StatusCode != w.Code || !slices.Contains(statuses, w.Code):
		t.Fatalf("error answer %d with statusCode %d: %s", w.Code, env.StatusCode, w.Body)
	case !slices.Contains(codes, env.Error) || env.Message == "" || env.Data != nil:
		t.Fatalf("error answer %s: want error in %v and a message", w.Body, codes)
	case w.Header().Get("Cache-Control") != "no-store":
		t.Fatalf("error answer without Cache-Control: no-store: %v", w.Header())
	}
}

// encodeTokenBody is a decoded request as a client sends it (the vendor's JSON body).
func encodeTokenBody(req token.Request) string {
	m := map[string]string{"grant_type": req.GrantType, "institutionId": req.Credentials.AppKey,
		"client_id": req.Credentials.ClientID, "client_assertion_type": req.Credentials.AssertionType,
		"client_assertion": req.Credentials.Assertion}
	if req.RefreshToken != "" {
		m["refresh_token"] = req.RefreshToken
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// FuzzDecodeToken: any body decodes to a request or a refusal, never a panic. A
// refusal is answered in CardCore's envelope with 400 or 413 and invalid_request or
// invalid_client. A decoded request carries an assertion of the RFC 7523 type, a
// 32-hex lower-case institutionId and a client id, every field within the bound and
// free of control characters, and the same request sent again as a client would
// encode it decodes to the same request.
func FuzzDecodeToken(f *testing.F) {
	ct := "application/json"
	f.Add(`{"institutionId":"30f4f3213f3f9511596daade0b6eEa24","client_id":"c","client_assertion_type":"urn:ietf:params:oauth:client-assertion-type:jwt-bearer","client_assertion":"a.b.c"}`, ct)
	f.Add(`{"institutionId":"30f4f3213f3f9511596daade0b6eea24","client_assertion_type":"urn:ietf:params:oauth:client-assertion-type:jwt-bearer","client_assertion":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjMSJ9.c2ln","grant_type":"refresh_token","refresh_token":"r"}`, ct+"; charset=utf-8")
	f.Add(`{"institutionId":5}`, ct)
	f.Add(`[]`, ct)
	f.Add(`{"grant_type":null,"refresh_token":"\u0000"}`, ct)
	f.Add(`{"institutionId":"30f4f3213f3f9511596daade0b6eea24"}`, "text/plain")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r := jsonRequest(TokenPath, body, contentType)
		req, err := decodeToken(wire.NewBody(r, MaxBodySize))
		if err != nil {
			if jeton.AsError(err).Code == jeton.CodeServerError {
				t.Fatalf("decoding %q failed as a server error: %v", body, err)
			}
			w := httptest.NewRecorder()
			codec{}.Encode(w, r, dialect.Exchange[cardcorestore.App]{Request: req, Err: err})
			checkEnvelope(t, w, []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge},
				[]string{string(jeton.CodeInvalidRequest), string(jeton.CodeInvalidClient)})
			return
		}
		c := req.Credentials
		if c.Assertion == "" || c.AssertionType != AssertionType || c.ClientID == "" || req.GrantType == "" ||
			len(c.AppKey) != 32 || strings.ToLower(c.AppKey) != c.AppKey || !isHex(c.AppKey, 32) {
			t.Fatalf("decoded %+v from %q", req, body)
		}
		for _, v := range []string{req.GrantType, req.RefreshToken, c.ClientID, c.Assertion} {
			if len(v) > maxFieldSize || strings.ContainsFunc(v, isControl) {
				t.Fatalf("decoded field %q from %q", v, body)
			}
		}
		again, err := decodeToken(wire.NewBody(jsonRequest(TokenPath, encodeTokenBody(req), "application/json"), MaxBodySize))
		req.Credentials, again.Credentials = req.Credentials.AsPresented(), again.Credentials.AsPresented()
		if err != nil || !reflect.DeepEqual(req, again) {
			t.Fatalf("decoded %+v; encoded again it decodes to %+v (%v)", req, again, err)
		}
	})
}

package abbeycross

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

func tokenRequest(body, contentType string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/oauth/token", strings.NewReader(body))
	if contentType != "" {
		r.Header["Content-Type"] = []string{contentType}
	}
	return r.WithContext(reqlog.With(r.Context(), &reqlog.Info{}))
}

// checkValidationAnswer fails t unless err is answered as AbbeyCross answers input it
// refuses (docs/dialects/abbeycross.md): 400 VALIDATION_ERROR with a UUID errorId and
// a text; parameter_name, when sent, one of the body's members with its value as JSON,
// except the secret, which is never echoed (null).
func checkValidationAnswer(t *testing.T, r *http.Request, err error) {
	t.Helper()
	w := httptest.NewRecorder()
	codec{}.Encode(w, r, dialect.Exchange[json.RawMessage]{Err: err})
	var body errorResponse
	if jerr := json.Unmarshal(w.Body.Bytes(), &body); jerr != nil {
		t.Fatalf("answer %q is not JSON: %v", w.Body, jerr)
	}
	id, uerr := uuid.Parse(body.ErrorID)
	switch {
	case w.Code != http.StatusBadRequest || body.Code != CodeValidation || body.Text == "":
		t.Fatalf("refusal %v answered %d %s", err, w.Code, w.Body)
	case uerr != nil || id.Version() != 7 || reqlog.From(r.Context()).ErrorID != body.ErrorID:
		t.Fatalf("errorId %q is not a logged UUIDv7", body.ErrorID)
	case body.ParameterName == "" && body.ParameterValue != nil:
		t.Fatalf("parameter_value without parameter_name: %s", w.Body)
	case body.ParameterName != "" && !slices.Contains([]string{"client_id", "client_secret", "scope"}, body.ParameterName):
		t.Fatalf("parameter_name %q", body.ParameterName)
	case body.ParameterName == "client_secret" && string(body.ParameterValue) != "null":
		t.Fatalf("the secret is echoed: %s", w.Body)
	case w.Header().Get("Cache-Control") != "no-store":
		t.Fatalf("answer without Cache-Control: no-store: %v", w.Header())
	}
}

// FuzzDecodeToken: any body either is refused with AbbeyCross's validation answer or
// yields client credentials within the bounds the decoder promises (non-empty,
// printable ASCII, at most the maximum length) and at most MaxScopes scope tokens; the
// request encoded again as the vendor's JSON decodes to the same request.
func FuzzDecodeToken(f *testing.F) {
	ct := "application/json"
	for _, s := range []string{`{"client_id":"a","client_secret":"b"}`, `[]`, `{"client_id":1}`, `{"client_id":"a","client_id":"b"}`,
		`{"client_id":"a","client_secret":"b","scope":"x y"}`, "{\"client_id\":\"\xff\"}", `{"a":{"b":[{}]}}`,
		`{"client_id":"a","client_secret":{"x":1}}`, `{"client_id":"a","client_secret":"b","scope":"x  y"}`, `{"client_id":"a"} {}`} {
		f.Add(s, ct)
	}
	f.Add(`{"client_id":"a","client_secret":"b"}`, "text/json")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r := tokenRequest(body, contentType)
		req, rawScope, err := decode(wire.NewBody(r, MaxBodyBytes))
		if err != nil {
			checkValidationAnswer(t, r, err)
			return
		}
		id, sec := req.Credentials.ClientID, req.Credentials.Secret
		if id == "" || sec == "" || len(id) > MaxClientID || len(sec) > MaxSecretBytes || !vschar(id) || !vschar(sec) ||
			len(req.Scope) > token.MaxScopes || req.GrantType != jeton.GrantClientCredentials {
			t.Fatalf("accepted %+v from %q", req, body)
		}
		m := map[string]string{"client_id": id, "client_secret": sec}
		if rawScope != nil && string(rawScope) != "null" {
			m["scope"] = strings.Join(req.Scope, " ")
		}
		b, _ := json.Marshal(m)
		again, _, err := decode(wire.NewBody(tokenRequest(string(b), "application/json"), MaxBodyBytes))
		if err != nil || !reflect.DeepEqual(req, again) {
			t.Fatalf("decoded %+v; encoded again as %s it decodes to %+v (%v)", req, b, again, err)
		}
	})
}

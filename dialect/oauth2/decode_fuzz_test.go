package oauth2

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/token"
)

// The RFC 6749 §5.2 codes a request can be refused with before the engine runs.
var decodeCodes = []string{"invalid_request", "invalid_client", "invalid_scope"}

// fuzzRequest is a POST to path with the fuzzer's body, Content-Type and
// Authorization exactly as given (an empty header is not sent).
func fuzzRequest(path, body, contentType, authz string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	for name, v := range map[string]string{"Content-Type": contentType, "Authorization": authz} {
		if v != "" {
			r.Header[name] = []string{v}
		}
	}
	return r
}

// checkErrorAnswer writes err as the dialect answers it and fails t unless the answer
// is RFC 6749 §5.2 JSON with one of codes, 400/401/413, no-store, and the Basic
// challenge on a 401 (RFC 7235 §3.1).
func checkErrorAnswer(t *testing.T, write func(http.ResponseWriter), codes []string) {
	t.Helper()
	w := httptest.NewRecorder()
	write(w)
	var body errorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || !slices.Contains(codes, body.Error) {
		t.Fatalf("error answer %d %q: want JSON with error in %v (%v)", w.Code, w.Body, codes, err)
	}
	switch {
	case w.Code != http.StatusBadRequest && w.Code != http.StatusUnauthorized && w.Code != http.StatusRequestEntityTooLarge:
		t.Fatalf("error answer status %d: %s", w.Code, w.Body)
	case (w.Code == http.StatusUnauthorized) != (body.Error == "invalid_client"):
		t.Fatalf("error %s answered %d", body.Error, w.Code)
	case w.Code == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic "):
		t.Fatalf("401 without a Basic challenge: %v", w.Header())
	case w.Header().Get("Cache-Control") != "no-store":
		t.Fatalf("error answer without Cache-Control: no-store: %v", w.Header())
	}
}

// encodeCredentials writes cred back onto a form and a request the way a client
// sends them (RFC 6749 §2.3.1, RFC 7521 §4.2).
func encodeCredentials(cred clientauth.Credentials, form url.Values) (authz string) {
	switch cred.Presented {
	case clientauth.PresentedBasic:
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(cred.ClientID)+":"+url.QueryEscape(cred.Secret)))
	case clientauth.PresentedPost:
		form.Set("client_id", cred.ClientID)
		form.Set("client_secret", cred.Secret)
	case clientauth.PresentedAssertion:
		form.Set("client_id", cred.ClientID)
		form.Set("client_assertion", cred.Assertion)
		form.Set("client_assertion_type", cred.AssertionType)
	case clientauth.PresentedClientID:
		form.Set("client_id", cred.ClientID)
	}
	return ""
}

// encodeToken is a decoded token request sent again: its form (RFC 6749 §4.1.3,
// §4.3.2, §4.4.2, §6; RFC 7636 §4.5) and Authorization header.
func encodeToken(req token.Request) *http.Request {
	form := url.Values{}
	for name, v := range map[string]string{"grant_type": req.GrantType, "username": req.Username, "password": req.Password,
		"code": req.Code, "refresh_token": req.RefreshToken, "redirect_uri": req.RedirectURI,
		"code_verifier": req.CodeVerifier, "scope": strings.Join(req.Scope, " ")} {
		if v != "" {
			form.Set(name, v)
		}
	}
	authz := encodeCredentials(req.Credentials, form)
	return fuzzRequest(TokenPath, form.Encode(), "application/x-www-form-urlencoded", authz)
}

// FuzzDecodeToken: whatever a stranger sends the token endpoint, decoding either
// refuses it with an answer of RFC 6749 §5.2 (invalid_request, invalid_client or
// invalid_scope, never a server error), or gives a request that, sent again as a client
// would encode it, decodes to the same request (decode → encode → decode), with at most
// MaxScopes valid scope tokens.
func FuzzDecodeToken(f *testing.F) {
	f.Add("grant_type=client_credentials&scope=a+b", "application/x-www-form-urlencoded", basic("c", "s"))
	f.Add("grant_type=%ff&&=", "application/x-www-form-urlencoded; charset=UTF-8", "")
	f.Add("client_assertion=a&client_assertion_type=b", "text/plain", "Basic Og==")
	f.Add("grant_type=authorization_code&code=x&redirect_uri=https%3A%2F%2Fa%2Fcb&code_verifier=v&client_id=web", "application/x-www-form-urlencoded", "")
	f.Add("grant_type=password&username=alice&password=p%C3%A4ss&client_id=c&client_secret=s&scope=a+a", "application/x-www-form-urlencoded", "")
	f.Add("grant_type=refresh_token&refresh_token=r&scope=a++b", "application/x-www-form-urlencoded; charset=latin1", "")
	f.Add("grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjMSJ9.c2ln", "application/x-www-form-urlencoded", "")
	f.Fuzz(func(t *testing.T, body, contentType, authz string) {
		req, err := decode(fuzzRequest(TokenPath, body, contentType, authz))
		if err != nil {
			checkErrorAnswer(t, func(w http.ResponseWriter) { EncodeToken(w, nil, err) }, decodeCodes)
			return
		}
		if req.GrantType == "" || len(req.Scope) > token.MaxScopes {
			t.Fatalf("accepted %+v", req)
		}
		for _, s := range req.Scope {
			if !token.ValidScopeToken(s) {
				t.Fatalf("accepted scope token %q", s)
			}
		}
		again, err := decode(encodeToken(req))
		req.Credentials, again.Credentials = req.Credentials.AsPresented(), again.Credentials.AsPresented()
		if err != nil || !reflect.DeepEqual(req, again) {
			t.Fatalf("decoded %+v; encoded again it decodes to %+v (%v)", req, again, err)
		}
	})
}

// FuzzDecodeTokenRequest: the introspection (RFC 7662 §2.1) and revocation (RFC 7009
// §2.1) form either is refused with an RFC 6749 §5.2 answer in each endpoint's own
// writer, or names a token and credentials that, sent again, decode the same.
func FuzzDecodeTokenRequest(f *testing.F) {
	f.Add("token=abc&token_type_hint=refresh_token", "application/x-www-form-urlencoded", basic("c", "s"))
	f.Add("token=&client_id=c&client_secret=s", "application/x-www-form-urlencoded", "")
	f.Add("token=a&token=b", "application/x-www-form-urlencoded", "")
	f.Add("token=a.b.c&client_id=c", "application/json", "Basic !")
	f.Fuzz(func(t *testing.T, body, contentType, authz string) {
		req, err := decodeTokenRequest(fuzzRequest(IntrospectPath, body, contentType, authz))
		if err != nil {
			checkErrorAnswer(t, func(w http.ResponseWriter) { EncodeIntrospection(w, nil, err) }, decodeCodes)
			checkErrorAnswer(t, func(w http.ResponseWriter) { EncodeRevocation(w, err) }, decodeCodes)
			return
		}
		if req.Token == "" {
			t.Fatalf("accepted %+v without a token", req)
		}
		form := url.Values{"token": {req.Token}}
		if req.Hint != "" {
			form.Set("token_type_hint", req.Hint)
		}
		authz2 := encodeCredentials(req.Credentials, form)
		again, err := decodeTokenRequest(fuzzRequest(IntrospectPath, form.Encode(), "application/x-www-form-urlencoded", authz2))
		req.Credentials, again.Credentials = req.Credentials.AsPresented(), again.Credentials.AsPresented()
		if err != nil || !reflect.DeepEqual(req, again) {
			t.Fatalf("decoded %+v; encoded again it decodes to %+v (%v)", req, again, err)
		}
	})
}

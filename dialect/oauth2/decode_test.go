package oauth2

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/token"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func formRequest(body string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, TokenPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

// decode reads r as the token endpoint does, within the form's size limit.
func decode(r *http.Request) (token.Request, error) {
	return decodeToken(r, wire.NewBody(r, wire.MaxFormBytes))
}

func TestDecodeTokenErrors(t *testing.T) {
	big := "grant_type=client_credentials&pad=" + strings.Repeat("a", wire.MaxFormBytes)
	tests := []struct {
		name   string
		req    *http.Request
		code   jeton.Code
		reason jeton.Reason
		param  string
		status int
	}{
		{"body over 64 KiB", formRequest(big), jeton.CodeInvalidRequest, jeton.ReasonBodyTooLarge, "", 413},
		{"json content type", formRequest(`{"grant_type":"client_credentials"}`, "Content-Type", "application/json"), jeton.CodeInvalidRequest, jeton.ReasonContentType, "", 400},
		{"no content type", formRequest("grant_type=client_credentials", "Content-Type", ""), jeton.CodeInvalidRequest, jeton.ReasonContentType, "", 400},
		{"latin-1 charset", formRequest("grant_type=client_credentials", "Content-Type", "application/x-www-form-urlencoded; charset=iso-8859-1"), jeton.CodeInvalidRequest, jeton.ReasonContentType, "", 400},
		{"missing grant_type", formRequest("scope=a"), jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "grant_type", 400},
		{"empty grant_type", formRequest("grant_type="), jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "grant_type", 400},
		{"duplicate grant_type", formRequest("grant_type=client_credentials&grant_type=password"), jeton.CodeInvalidRequest, jeton.ReasonDuplicateParam, "grant_type", 400},
		{"bad escape", formRequest("grant_type=%zz"), jeton.CodeInvalidRequest, jeton.ReasonMalformedBody, "", 400},
		{"non-UTF-8 value", formRequest("grant_type=client_credentials&scope=%ff"), jeton.CodeInvalidRequest, jeton.ReasonInvalidCharacters, "scope", 400},
		{"control character", formRequest("grant_type=client_credentials%0a"), jeton.CodeInvalidRequest, jeton.ReasonInvalidCharacters, "grant_type", 400},
		{"field too long", formRequest("grant_type=client_credentials&scope=" + strings.Repeat("s", wire.MaxFieldBytes+1)), jeton.CodeInvalidRequest, jeton.ReasonBodyTooLarge, "scope", 400},
		{"malformed scope", formRequest("grant_type=client_credentials&scope=a%20%20b"), jeton.CodeInvalidScope, "", "scope", 400},
		{"scope with quote", formRequest("grant_type=client_credentials&scope=a%22"), jeton.CodeInvalidScope, jeton.ReasonInvalidCharacters, "scope", 400},
		{"basic and body secret", formRequest("grant_type=client_credentials&client_secret=x", "Authorization", basic("c", "s")), jeton.CodeInvalidRequest, jeton.ReasonMultipleAuth, "", 400},
		{"basic and assertion", formRequest("grant_type=client_credentials&client_assertion=x&client_assertion_type="+wire.JWTBearerAssertion, "Authorization", basic("c", "s")), jeton.CodeInvalidRequest, jeton.ReasonMultipleAuth, "", 400},
		{"secret and assertion", formRequest("grant_type=client_credentials&client_id=c&client_secret=s&client_assertion=x&client_assertion_type=" + wire.JWTBearerAssertion), jeton.CodeInvalidRequest, jeton.ReasonMultipleAuth, "", 400},
		{"basic id disagrees with body", formRequest("grant_type=client_credentials&client_id=other", "Authorization", basic("c", "s")), jeton.CodeInvalidRequest, jeton.ReasonMultipleAuth, "client_id", 400},
		{"basic not base64", formRequest("grant_type=client_credentials", "Authorization", "Basic !!!"), jeton.CodeInvalidClient, jeton.ReasonMalformedBody, "", 401},
		{"basic without colon", formRequest("grant_type=client_credentials", "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("nocolon"))), jeton.CodeInvalidClient, jeton.ReasonMalformedBody, "", 401},
		{"bearer scheme", formRequest("grant_type=client_credentials", "Authorization", "Bearer abc"), jeton.CodeInvalidClient, jeton.ReasonMalformedBody, "", 401},
		{"basic with control char", formRequest("grant_type=client_credentials", "Authorization", basic("c%0a", "s")), jeton.CodeInvalidClient, jeton.ReasonMalformedBody, "", 401},
		{"secret without client_id", formRequest("grant_type=client_credentials&client_secret=s"), jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "client_id", 400},
		{"assertion without type", formRequest("grant_type=client_credentials&client_assertion=x"), jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "client_assertion_type", 400},
		{"assertion with unknown type", formRequest("grant_type=client_credentials&client_assertion=x&client_assertion_type=urn:x"), jeton.CodeInvalidRequest, "", "client_assertion_type", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.req)
			var e *jeton.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want a *jeton.Error", err)
			}
			status := e.Status
			if e.Code == jeton.CodeInvalidClient {
				status = 401 // writeError's rule; checked end to end in the server tests
			}
			if e.Code != tt.code || e.Reason != tt.reason || e.Param != tt.param || status != tt.status {
				t.Errorf("got code=%s reason=%s param=%q status=%d, want %s %s %q %d", e.Code, e.Reason, e.Param, status, tt.code, tt.reason, tt.param, tt.status)
			}
		})
	}
}

func TestDecodeTokenCredentials(t *testing.T) {
	tests := []struct {
		name string
		req  *http.Request
		want clientauth.Credentials
	}{
		{"basic, form-urlencoded per RFC 6749 §2.3.1", formRequest("grant_type=client_credentials", "Authorization", basic("a%3Ab", "p%2Bw%3D")),
			clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: "a:b", Secret: "p+w="}},
		{"basic with matching body client_id", formRequest("grant_type=client_credentials&client_id=c", "Authorization", basic("c", "s")),
			clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: "c", Secret: "s"}},
		{"post", formRequest("grant_type=client_credentials&client_id=c&client_secret=s"),
			clientauth.Credentials{Presented: clientauth.PresentedPost, ClientID: "c", Secret: "s"}},
		{"assertion", formRequest("grant_type=client_credentials&client_id=c&client_assertion=x.y.z&client_assertion_type=" + wire.JWTBearerAssertion),
			clientauth.Credentials{Presented: clientauth.PresentedAssertion, ClientID: "c", Assertion: "x.y.z", AssertionType: wire.JWTBearerAssertion}},
		{"public client", formRequest("grant_type=authorization_code&client_id=c"),
			clientauth.Credentials{Presented: clientauth.PresentedClientID, ClientID: "c"}},
		{"nothing", formRequest("grant_type=client_credentials"), clientauth.Credentials{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := decode(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(req.Credentials, tt.want) {
				t.Errorf("got %+v, want %+v", req.Credentials, tt.want)
			}
		})
	}
}

func TestDecodeTokenScope(t *testing.T) {
	req, err := decode(formRequest("grant_type=client_credentials&scope=b+a+b&unknown=ignored"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(req.Scope, ","); got != "b,a" {
		t.Errorf("scope = %q, want duplicates dropped in order", got)
	}
	req, _ = decode(formRequest("grant_type=client_credentials"))
	if req.Scope != nil {
		t.Errorf("no scope parameter must decode to nil (the default set applies), got %#v", req.Scope)
	}
}

package wire_test

import (
	"encoding/base64"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/wire"
)

// formRequest is a POST of body as an RFC 6749 form, with authz as its Authorization
// header when set.
func formRequest(body, authz string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	return r
}

// protocolError fails t unless err is a *jeton.Error with one of the codes want and
// the HTTP status its code (or a body limit) gives.
func protocolError(t *testing.T, err error, want ...jeton.Code) *jeton.Error {
	t.Helper()
	var e *jeton.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a protocol error", err, err)
	}
	ok := false
	for _, c := range want {
		ok = ok || e.Code == c
	}
	if !ok {
		t.Fatalf("error code %q, want one of %v (%v)", e.Code, want, err)
	}
	if e.Status != jeton.DefaultStatus(e.Code) && e.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("error %v has status %d", err, e.Status)
	}
	return e
}

// checkValue fails t when an accepted value breaks the form rules (RFC 6749 Appendix
// A, the field bound).
func checkValue(t *testing.T, name, v string) {
	t.Helper()
	if len(v) > wire.MaxFieldBytes || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Fatalf("parameter %q accepted with value %q", name, v)
	}
}

// FuzzForm: whatever a stranger posts, Form fails only with invalid_request (400, or
// 413 over the limit), or gives values within the form rules that survive a round
// trip: the form re-encoded (RFC 6749 Appendix B) reads back as the same parameters.
func FuzzForm(f *testing.F) {
	for _, s := range []string{"grant_type=client_credentials&scope=a+b", "a=1&a=2", "x=%ff", "x=%01", "a;b=c",
		"client_id=%E2%82%AC&client_secret=p%40ss+word", "=", "&&&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := wire.NewBody(formRequest(body, ""), wire.MaxFormBytes).Form()
		if err != nil {
			protocolError(t, err, jeton.CodeInvalidRequest)
			return
		}
		values := url.Values{}
		for name, v := range form {
			checkValue(t, name, v)
			values.Set(name, v)
		}
		again, err := wire.NewBody(formRequest(values.Encode(), ""), wire.MaxFormBytes).Form()
		if err != nil || !maps.Equal(form, again) {
			t.Fatalf("form %q re-encoded as %q reads back as %q (%v)", form, values.Encode(), again, err)
		}
	})
}

// basicHeader is RFC 6749 §2.3.1: id and secret form-urlencoded, then RFC 7617 Basic.
func basicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// FuzzParseBasic: an accepted Authorization header gives a non-empty client id and a
// secret within the form rules, and encoding those again (RFC 6749 §2.3.1) parses back
// to the same pair. A refused header is refused with an error, never a half result.
func FuzzParseBasic(f *testing.F) {
	for _, h := range []string{basicHeader("client", "secret"), basicHeader("my:client", "p@ss word"), "Basic Og==",
		"basic " + base64.StdEncoding.EncodeToString([]byte("a%zz:b")), "Bearer x", "Basic !!!", "Basic  " + base64.StdEncoding.EncodeToString([]byte("c:%01")),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("c:\xff"))} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		id, secret, err := wire.ParseBasic(h)
		if err != nil {
			if id != "" || secret != "" {
				t.Fatalf("%q refused (%v) with id %q secret %q", h, err, id, secret)
			}
			if _, err := wire.Basic(h); err != nil {
				protocolError(t, err, jeton.CodeInvalidClient)
			} else {
				t.Fatalf("ParseBasic refused %q, Basic accepted it", h)
			}
			return
		}
		if id == "" {
			t.Fatalf("%q accepted with an empty client id", h)
		}
		checkValue(t, "client_id", id)
		checkValue(t, "client_secret", secret)
		id2, secret2, err := wire.ParseBasic(basicHeader(id, secret))
		if err != nil || id2 != id || secret2 != secret {
			t.Fatalf("(%q, %q) from %q does not round-trip: (%q, %q) %v", id, secret, h, id2, secret2, err)
		}
	})
}

// FuzzCredentials: a form and an Authorization header give at most one client
// authentication method (RFC 6749 §2.3), and the credentials say which: Basic only
// from the header and never beside a body secret or assertion, an assertion only with
// the RFC 7523 type and a client id (sent or its sub), a body secret only with its
// client id. Refusals are invalid_request or invalid_client.
func FuzzCredentials(f *testing.F) {
	assertion := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjMSJ9.c2ln"
	f.Add("client_id=c&client_secret=s", "")
	f.Add("client_secret=s", "")
	f.Add("client_id=c", basicHeader("c", "s"))
	f.Add("client_id=d", basicHeader("c", "s"))
	f.Add("client_secret=s", basicHeader("c", "s"))
	f.Add("client_assertion_type="+url.QueryEscape(wire.JWTBearerAssertion)+"&client_assertion="+assertion, "")
	f.Add("client_assertion="+assertion, "")
	f.Add("client_assertion_type=x&client_assertion=a.b.c&client_id=c", "")
	f.Add("client_assertion=a&client_secret=b", "")
	f.Fuzz(func(t *testing.T, body, authz string) {
		r := formRequest(body, "")
		r.Header["Authorization"] = []string{authz} // as sent, even when it is no valid field value
		if authz == "" {
			r.Header.Del("Authorization")
		}
		form, err := wire.NewBody(r, wire.MaxFormBytes).Form()
		if err != nil {
			return // FuzzForm's business
		}
		cred, err := wire.Credentials(r, form)
		if err != nil {
			protocolError(t, err, jeton.CodeInvalidRequest, jeton.CodeInvalidClient)
			return
		}
		_, hasSecret := form["client_secret"]
		_, hasAssertion := form["client_assertion"]
		switch cred.Presented {
		case clientauth.PresentedBasic:
			if authz == "" || hasSecret || hasAssertion || cred.ClientID == "" {
				t.Fatalf("Basic credentials %+v from form %q and header %q", cred, form, authz)
			}
			if id, ok := form["client_id"]; ok && id != cred.ClientID {
				t.Fatalf("body client_id %q accepted beside Basic %q", id, cred.ClientID)
			}
		case clientauth.PresentedAssertion:
			if authz != "" || hasSecret || cred.AssertionType != wire.JWTBearerAssertion || cred.ClientID == "" || cred.Assertion != form["client_assertion"] {
				t.Fatalf("assertion credentials %+v from form %q and header %q", cred, form, authz)
			}
		case clientauth.PresentedPost:
			if authz != "" || hasAssertion || cred.ClientID == "" || cred.Secret != form["client_secret"] {
				t.Fatalf("post credentials %+v from form %q and header %q", cred, form, authz)
			}
		case clientauth.PresentedClientID, clientauth.PresentedNothing:
			if authz != "" || hasSecret || hasAssertion || cred.ClientID != form["client_id"] {
				t.Fatalf("credentials %+v from form %q and header %q", cred, form, authz)
			}
		default:
			t.Fatalf("unknown presentation %v", cred.Presented)
		}
	})
}

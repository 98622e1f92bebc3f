package oauth2

import (
	"encoding/base64"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/wire"
)

func TestDecodeAssertionClientID(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	hdr := enc([]byte(`{"alg":"ES256"}`))
	jws := hdr + "." + enc([]byte(`{"iss":"c1","sub":"c1"}`)) + ".c2ln"
	form := func(extra string, assertion string) string {
		return "grant_type=client_credentials&client_assertion_type=" + url.QueryEscape(wire.JWTBearerAssertion) +
			"&client_assertion=" + url.QueryEscape(assertion) + extra
	}
	t.Run("client_id from sub", func(t *testing.T) {
		req, err := decode(formRequest(form("", jws)))
		if err != nil {
			t.Fatal(err)
		}
		want := clientauth.Credentials{Presented: clientauth.PresentedAssertion, ClientID: "c1", Assertion: jws, AssertionType: wire.JWTBearerAssertion}
		c := req.Credentials
		got := clientauth.Credentials{Presented: c.Presented, ClientID: c.ClientID, Secret: c.Secret, Assertion: c.Assertion,
			AssertionType: c.AssertionType, AppKey: c.AppKey, TLSChain: c.TLSChain} // without what the peek keeps for Verify
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
	t.Run("client_id as sent when present", func(t *testing.T) {
		// Whether it agrees with sub is for the method to decide, after verification.
		req, err := decode(formRequest(form("&client_id=other", jws)))
		if err != nil || req.Credentials.ClientID != "other" {
			t.Fatalf("got %+v, %v", req.Credentials, err)
		}
	})
	bad := map[string]string{
		"not a JWS":        "x",
		"two parts":        hdr + "." + enc([]byte(`{"sub":"c1"}`)),
		"garbled base64":   hdr + ".*" + enc([]byte(`{"sub":"c1"}`)) + ".c2ln",
		"no sub":           hdr + "." + enc([]byte(`{"iss":"c1"}`)) + ".c2ln",
		"JSON serialized":  `{"payload":"e30","signatures":[]}`,
		"header not JSON":  enc([]byte("{")) + "." + enc([]byte(`{"sub":"c1"}`)) + ".c2ln",
		"claims not JSON":  hdr + "." + enc([]byte(`sub=c1`)) + ".c2ln",
		"empty assertion":  "",
		"whitespace added": hdr + " ." + enc([]byte(`{"sub":"c1"}`)) + ".c2ln",
	}
	t.Run("over the field bound", func(t *testing.T) {
		// The form reader bounds every field (8 KiB) before anything looks inside.
		big := hdr + "." + enc([]byte(`{"sub":"c1","p":"`+strings.Repeat("x", wire.MaxFieldBytes)+`"}`)) + ".c2ln"
		_, err := decode(formRequest(form("", big)))
		var e *jeton.Error
		if !errors.As(err, &e) || e.Code != jeton.CodeInvalidRequest || e.Param != "client_assertion" {
			t.Fatalf("got %v; want invalid_request on client_assertion", err)
		}
	})
	for name, a := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := decode(formRequest(form("", a)))
			var e *jeton.Error
			if !errors.As(err, &e) || e.Code != jeton.CodeInvalidClient || e.Reason != jeton.ReasonBadAssertion {
				t.Fatalf("got %v; want invalid_client (bad_assertion)", err)
			}
			if e.Description != "client authentication failed" || e.Param != "" {
				t.Fatalf("answer %+v differs from the one invalid_client answer", e)
			}
		})
	}
}

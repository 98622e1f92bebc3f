package clientauth

import (
	"encoding/base64"
	"strings"
	"testing"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestPeekClientID(t *testing.T) {
	hdr := b64(`{"alg":"RS256"}`)
	tests := []struct {
		name, in, want string
	}{
		{"sub", hdr + "." + b64(`{"sub":"c1","iss":"c1"}`) + ".c2ln", "c1"},
		{"empty signature still parses structurally", hdr + "." + b64(`{"sub":"c1"}`) + ".", "c1"},
		{"no sub", hdr + "." + b64(`{"iss":"c1"}`) + ".c2ln", ""},
		{"empty sub", hdr + "." + b64(`{"sub":""}`) + ".c2ln", ""},
		{"sub not a string", hdr + "." + b64(`{"sub":7}`) + ".c2ln", ""},
		{"sub too long", hdr + "." + b64(`{"sub":"`+strings.Repeat("a", 257)+`"}`) + ".c2ln", ""},
		{"two parts", hdr + "." + b64(`{"sub":"c1"}`), ""},
		{"four parts", hdr + "." + b64(`{"sub":"c1"}`) + ".c2ln.c2ln", ""},
		{"padding", hdr + "." + b64(`{"sub":"c1"}`) + "=.c2ln", ""},
		{"standard alphabet", hdr + "." + b64(`{"sub":"c1"}`) + ".a+b/", ""},
		{"header not JSON", b64("alg") + "." + b64(`{"sub":"c1"}`) + ".c2ln", ""},
		{"header without alg", b64(`{"kid":"k"}`) + "." + b64(`{"sub":"c1"}`) + ".c2ln", ""},
		{"claims an array", hdr + "." + b64(`["c1"]`) + ".c2ln", ""},
		{"JSON serialization", `{"payload":"x","signatures":[]}`, ""},
		{"empty", "", ""},
		{"over the bound", hdr + "." + b64(`{"sub":"c1","x":"`+strings.Repeat("x", MaxAssertionSize)+`"}`) + ".c2ln", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PeekClientID(tt.in)
			if got != tt.want || (err == nil) != (tt.want != "") {
				t.Fatalf("PeekClientID = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// What a peek decoded serves Verify only for the assertion it decoded.
func TestPeekedHeaderIsForItsAssertion(t *testing.T) {
	rs := b64(`{"alg":"RS256","kid":"k1"}`) + "." + b64(`{"sub":"c1"}`) + ".c2ln"
	es := b64(`{"alg":"ES256"}`) + "." + b64(`{"sub":"c1"}`) + ".c2ln"
	cred := Credentials{Assertion: rs}
	if id, err := cred.PeekClientID(); err != nil || id != "c1" {
		t.Fatalf("peek: %q, %v", id, err)
	}
	if h, err := cred.header(); err != nil || h.Alg != "RS256" || h.Kid != "k1" {
		t.Fatalf("header of the peeked assertion: %+v, %v", h, err)
	}
	cred.Assertion = es
	if h, err := cred.header(); err != nil || h.Alg != "ES256" || h.Kid != "" {
		t.Fatalf("header after the assertion changed: %+v, %v; want the new one's", h, err)
	}
	cred.Assertion = "not a JWS"
	if _, err := cred.header(); err == nil {
		t.Fatal("a malformed assertion passed with a stale peek")
	}
}

package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/jeton/jeton/oidc"
)

const paymentDetails = `[{"type":"payment_initiation","actions":["initiate"],"instructedAmount":{"currency":"EUR","amount":"123.50"},"creditorName":"Merchant <A> & Co","creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Invoice 42"}]`

const accountDetails = `[{"type":"account_information","actions":["list_accounts","read_balances"],"accounts":[{"iban":"FR7630006000011234567890189"}]}]`

// both joins two single-entry arrays into one.
func both(a, b string) string { return a[:len(a)-1] + "," + b[1:] }

// tokenPOST posts form to the token endpoint as client and decodes the JSON answer.
func (s *server) tokenPOST(t *testing.T, client string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/oauth2/token", strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, secret)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var out map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func jsonEqual(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	must(t, json.Unmarshal([]byte(want), &w))
	gb, _ := json.Marshal(got)
	var gv any
	_ = json.Unmarshal(gb, &gv)
	g, _ := json.Marshal(gv)
	wb, _ := json.Marshal(w)
	if string(g) != string(wb) {
		t.Errorf("%s = %s, want %s", what, g, wb)
	}
}

// A payment travels from the authorization request through the consent page (in
// words, escaped, no JSON) to the code, the token response (RFC 9396 §7), the JWT
// access token (§9.1), introspection (§9.2) and the stored consent.
func TestPaymentThroughConsentToToken(t *testing.T) {
	s := newServer(t)
	b := newBrowser(t)
	p := b.get(s.authURL("web", url.Values{"authorization_details": {paymentDetails}, "scope": {"openid offline_access"}}))
	p = b.post(s.url+oidc.LoginPath, url.Values{"csrf": {p.csrf(t)}, "username": {"alice"}, "password": {alicePass}})
	if !p.isConsent() {
		t.Fatalf("want the consent page:\n%s", p.body)
	}
	for _, want := range []string{"Make a payment", "123.50 EUR", "Merchant &lt;A&gt; &amp; Co", "DE02100100109307118603", "Invoice 42"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "instructedAmount") || strings.Contains(p.body, "<A>") {
		t.Error("consent page shows raw JSON or unescaped text")
	}
	got := b.post(s.url+oidc.ConsentPath, url.Values{"csrf": {p.csrf(t)}, "decision": {"allow"}}).location(t)
	status, tok := s.tokenPOST(t, "web", url.Values{"grant_type": {"authorization_code"}, "code": {got.Get("code")}, "redirect_uri": {redirectURI}})
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	jsonEqual(t, "token response authorization_details", tok["authorization_details"], paymentDetails)
	claims := jwtClaims(t, tok["access_token"].(string))
	jsonEqual(t, "access token claim", claims["authorization_details"], paymentDetails)
	for _, token := range []string{tok["access_token"].(string), tok["refresh_token"].(string)} {
		status, intro := s.tokenPOSTTo(t, "/oauth2/introspect", "web", url.Values{"token": {token}})
		if status != http.StatusOK || intro["active"] != true {
			t.Fatalf("introspection: %d %v", status, intro)
		}
		jsonEqual(t, "introspection authorization_details", intro["authorization_details"], paymentDetails)
	}
	consent, err := s.store.GetConsent(context.Background(), "bank-a", s.alice.ID, "web")
	must(t, err)
	jsonEqual(t, "stored consent", json.RawMessage(consent.AuthorizationDetails), paymentDetails)
	// The same payment again asks again: approved details never skip the page.
	p = b.get(s.authURL("web", url.Values{"authorization_details": {paymentDetails}}))
	if !p.isConsent() {
		t.Errorf("a second payment skipped the consent page: %d", p.status)
	}
}

func (s *server) tokenPOSTTo(t *testing.T, path, client string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, secret)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var out map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %s", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var c map[string]any
	must(t, json.Unmarshal(b, &c))
	return c
}

// RFC 9396 §5: refusals at the authorization endpoint go back to the client as
// invalid_authorization_details, before any sign-in.
func TestAuthorizationDetailsRefusedAtAuthorize(t *testing.T) {
	s := newServer(t)
	tests := map[string]struct{ client, details string }{
		"type not registered for the client": {"other", paymentDetails},
		"type unknown to the server":         {"web", `[{"type":"tax_filing"}]`},
		"fails its schema":                   {"web", strings.Replace(paymentDetails, `"EUR"`, `"euro"`, 1)},
		"malformed JSON":                     {"web", `[{"type":`},
		"not an array":                       {"web", `{"type":"payment_initiation"}`},
		"oversized":                          {"web", `[{"type":"payment_initiation","creditorName":"` + strings.Repeat("x", 3000) + `"}]`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := newBrowser(t).get(s.authURL(tt.client, url.Values{"authorization_details": {tt.details}})).location(t)
			if got.Get("error") != "invalid_authorization_details" || got.Has("code") {
				t.Errorf("got %v", got)
			}
		})
	}
	// PAR answers the same error in JSON (RFC 9126 §2.3).
	resp := s.pushRaw(t, "other", secret, url.Values{"authorization_details": {paymentDetails}})
	var e struct{ Error string }
	must(t, json.NewDecoder(resp.Body).Decode(&e))
	if resp.StatusCode != http.StatusBadRequest || e.Error != "invalid_authorization_details" {
		t.Errorf("PAR: %d %v", resp.StatusCode, e)
	}
}

// RFC 9396 §7.1: a refresh may ask for a subset of what the customer approved, never
// more, and a refused request leaves the refresh token usable.
func TestAuthorizationDetailsNarrowOnRefresh(t *testing.T) {
	s := newServer(t)
	granted := both(paymentDetails, accountDetails)
	got := s.signIn(t, newBrowser(t), s.authURL("web", url.Values{"authorization_details": {granted}, "scope": {"openid offline_access"}}))
	// The code exchange may narrow too (§6.1).
	status, tok := s.tokenPOST(t, "web", url.Values{"grant_type": {"authorization_code"}, "code": {got.Get("code")},
		"redirect_uri": {redirectURI}, "authorization_details": {accountDetails}})
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	jsonEqual(t, "narrowed at the exchange", tok["authorization_details"], accountDetails)
	refresh := tok["refresh_token"].(string)
	widened := strings.Replace(accountDetails, `"read_balances"`, `"read_balances","read_transactions"`, 1)
	for name, d := range map[string]string{"widened": widened, "another payment": strings.Replace(paymentDetails, "123.50", "9999.00", 1),
		"a type not granted": `[{"type":"account_information","actions":["read_transactions"]}]`} {
		status, e := s.tokenPOST(t, "web", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "authorization_details": {d}})
		if status != http.StatusBadRequest || e["error"] != "invalid_authorization_details" {
			t.Errorf("%s: %d %v", name, status, e)
		}
	}
	// Still usable: the whole grant (the family keeps what was approved), then a subset.
	status, tok = s.tokenPOST(t, "web", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if status != http.StatusOK {
		t.Fatalf("refresh after refusals: %d %v", status, tok)
	}
	jsonEqual(t, "refresh without a request", tok["authorization_details"], granted)
	status, tok = s.tokenPOST(t, "web", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)},
		"authorization_details": {paymentDetails}})
	if status != http.StatusOK {
		t.Fatalf("subset: %d %v", status, tok)
	}
	jsonEqual(t, "subset", tok["authorization_details"], paymentDetails)
}

// RFC 9396 §6.2: client_credentials carries the details the client asks for, checked
// against its registered types and their schemas.
func TestAuthorizationDetailsClientCredentials(t *testing.T) {
	s := newServer(t)
	cfg := clientcredentials.Config{ClientID: "machine", ClientSecret: secret, TokenURL: s.url + "/oauth2/token",
		AuthStyle: oauth2.AuthStyleInHeader, EndpointParams: url.Values{"authorization_details": {accountDetails}}}
	tok, err := cfg.Token(context.Background())
	must(t, err)
	jsonEqual(t, "token response", tok.Extra("authorization_details"), accountDetails)
	jsonEqual(t, "access token claim", jwtClaims(t, tok.AccessToken)["authorization_details"], accountDetails)
	for name, d := range map[string]string{"fails its schema": `[{"type":"account_information","actions":["move_money"]}]`,
		"malformed": `[`, "unknown type": `[{"type":"tax_filing"}]`} {
		status, e := s.tokenPOST(t, "machine", url.Values{"grant_type": {"client_credentials"}, "authorization_details": {d}})
		if status != http.StatusBadRequest || e["error"] != "invalid_authorization_details" || e["access_token"] != nil {
			t.Errorf("%s: %d %v", name, status, e)
		}
	}
}

// Discovery names the types (RFC 9396 §10) and the request-object algorithms (RFC 9101
// §10.5).
func TestDiscoveryNamesRARAndJAR(t *testing.T) {
	s := newServer(t)
	resp, err := http.Get(s.url + "/.well-known/openid-configuration")
	must(t, err)
	defer resp.Body.Close()
	var m map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&m))
	jsonEqual(t, "authorization_details_types_supported", m["authorization_details_types_supported"], `["account_information","payment_initiation"]`)
	jsonEqual(t, "request_object_signing_alg_values_supported", m["request_object_signing_alg_values_supported"], `["RS256","PS256","ES256","EdDSA"]`)
	if m["request_parameter_supported"] != true || m["request_uri_parameter_supported"] != false {
		t.Errorf("request parameters: %v %v", m["request_parameter_supported"], m["request_uri_parameter_supported"])
	}
}

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const browserPayment = `[{"type":"payment_initiation","actions":["initiate"],"instructedAmount":{"currency":"EUR","amount":"250.00"},"creditorName":"Merchant <A>","creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Order 1234"}]`

// TestBrowserPaymentConsent is issue 18's RAR walk in headless Chromium: a client
// registered with `--authorization-details-types payment_initiation` asks for a
// payment; the consent page shows amount, currency and creditor in words (escaped, no
// JSON) and axe-core finds no serious or critical violation on it; the token response
// carries the approved details (RFC 9396 §7).
func TestBrowserPaymentConsent(t *testing.T) {
	s := startServer(t)
	cb, got := callbackServer(t)
	_, clientID, secret := oidcSetup(t, s, cb.URL+"/cb", "--authorization-details-types", "payment_initiation")
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, s.public)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: cb.URL + "/cb",
		Endpoint: provider.Endpoint(), Scopes: []string{gooidc.ScopeOpenID}}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("pay-state", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("authorization_details", browserPayment))

	b := newBrowserSession(t, s.public)
	b.do(chromedp.Navigate(authURL), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "alice's long password"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("allow")))
	b.page("rar-consent")
	detail := b.text(".detail")
	for _, want := range []string{"Make a payment", "250.00 EUR", "Merchant <A>", "DE02100100109307118603", "Order 1234"} {
		if !strings.Contains(detail, want) {
			t.Errorf("consent page lacks %q; shows:\n%s", want, detail)
		}
	}
	if strings.Contains(detail, "instructedAmount") || strings.Contains(detail, "{") {
		t.Errorf("consent page shows JSON:\n%s", detail)
	}
	b.do(chromedp.Click(chromedp.ID("allow")), chromedp.WaitVisible(chromedp.ID("done")))
	q := <-got
	if q.Get("state") != "pay-state" || q.Get("code") == "" {
		t.Fatalf("callback got %v", q)
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	var gotDetails, want any
	b1, _ := json.Marshal(tok.Extra("authorization_details"))
	_ = json.Unmarshal(b1, &gotDetails)
	_ = json.Unmarshal([]byte(browserPayment), &want)
	g, _ := json.Marshal(gotDetails)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("token response authorization_details = %s, want %s", g, w)
	}
}

package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton/dialect/cardcore"
)

// TestConsoleCardCoreBrowser: an institution's administrator creates a CardCore
// application in the console (the CardCore module's pages, registered through
// module.ConsolePages), uploads its certificate, copies its client ID, and gets a
// token with it through the public listener in CardCore's dialect; axe-core checks
// every CardCore page at both widths.
func TestConsoleCardCoreBrowser(t *testing.T) {
	w := newConsoleWorld(t)
	s := w.s
	b := newBrowserSession(t, s.adminURL)
	console := s.adminURL + "/console/"
	b.do(chromedp.Navigate(console), chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "bea"),
		chromedp.SendKeys(chromedp.CSS("#password"), "bea's console password"),
		chromedp.SendKeys(chromedp.CSS("#code"), w.code("bea")),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#q")))

	// The CardCore entry of the navigation leads to B's (empty) list.
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/console/x/cardcore/"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/console/x/cardcore/new"]`)))
	b.page("cardcore-apps-empty")
	b.do(chromedp.Click(chromedp.CSS(`a[href^="/console/x/cardcore/new"]`)), chromedp.WaitVisible(chromedp.CSS("#website_url")))
	b.page("cardcore-new")
	key, certFile := writeCert(t)
	const website = "https://fintech.example"
	b.do(chromedp.SendKeys(chromedp.CSS("#name"), "Card <i>issuing</i>"),
		chromedp.SendKeys(chromedp.CSS("#description"), "Issues cards"),
		chromedp.SendKeys(chromedp.CSS("#website_url"), website),
		chromedp.SendKeys(chromedp.CSS("#icon_url"), website+"/icon.png"),
		chromedp.SendKeys(chromedp.CSS("#scopes"), "READ WRITE"),
		chromedp.SetUploadFiles(chromedp.CSS("#public_key"), []string{certFile}),
		chromedp.Submit(chromedp.CSS("#name")),
		chromedp.WaitVisible(chromedp.CSS("#client-id")))
	b.page("cardcore-app")
	if h := b.text("h1"); h != "Card <i>issuing</i>" {
		t.Errorf("app page title %q: HTML in the name must show as text", h)
	}
	clientID, appKey := b.text("#client-id"), b.text("#app-key")
	if inst := b.text("dl.facts"); !strings.Contains(inst, w.instB) {
		t.Errorf("the app page does not name B: %q", inst)
	}
	b.do(chromedp.Click(chromedp.CSS(`button[data-copy="client-id"]`)))
	copied, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil || copied != clientID {
		t.Errorf("clipboard holds %q (%v), want the client id %q", copied, err, clientID)
	}

	// A token through the public listener, in CardCore's dialect (its JSON body and
	// envelope), authenticated by an ES256 assertion whose iss is the website URL.
	tokenURL := s.public + cardcore.DefaultPrefix + cardcore.TokenPath
	status, env := postEnvelope(t, tokenURL, "", map[string]any{
		"grant_type": "client_credentials", "institutionId": appKey, "client_id": clientID,
		"client_assertion_type": cardcore.AssertionType, "client_assertion": cardcoreAssertion(t, key, clientID, website, tokenURL),
	})
	if status != http.StatusOK {
		t.Fatalf("CardCore token with the console's application: %d %v", status, env)
	}
	if data, _ := env["data"].(map[string]any); data["accessToken"] == nil || data["institutionId"] != appKey {
		t.Errorf("token answer %v", env)
	}

	// Listed; the delete confirmation; A's operator-made app is not B's to open.
	b.do(chromedp.Navigate(console+"x/cardcore/"), chromedp.WaitVisible(chromedp.CSS("main table")))
	if list := b.text("main table"); !strings.Contains(list, clientID) {
		t.Errorf("the list lacks the new application: %q", list)
	}
	b.page("cardcore-apps")
	b.do(chromedp.Navigate(console+"x/cardcore/apps/"+w.instB+"/"+appKey+"/delete"), chromedp.WaitVisible(chromedp.CSS("#confirm-delete")))
	b.page("cardcore-delete")
	b.do(chromedp.Navigate(console+"x/cardcore/apps/"+w.instA+"/"+appKey), chromedp.WaitVisible(chromedp.CSS("main .error")))
	if main := b.text("main"); !strings.Contains(main, "Not found") || strings.Contains(main, clientID) {
		t.Errorf("B's admin opened an app under A's URL: %q", main)
	}
}

// cardcoreAssertion is an ES256 client assertion for a CardCore application (RFC
// 7523 §3): iss its website URL, sub its client ID, aud the token endpoint.
func cardcoreAssertion(t *testing.T, k any, clientID, iss, aud string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := josejwt.Signed(sig).Claims(josejwt.Claims{Issuer: iss, Subject: clientID, Audience: josejwt.Audience{aud},
		ID: clientID + now.Format(time.RFC3339Nano), IssuedAt: josejwt.NewNumericDate(now),
		Expiry: josejwt.NewNumericDate(now.Add(time.Minute))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/pquerna/otp/totp"
)

//go:embed testdata/axe/axe.min.js
var axeSource string

// consoleWorld is a running server with two institutions, a customer, and console
// users made by `jeton console-user create`.
type consoleWorld struct {
	s            *liveServer
	instA, instB string
	totp         map[string]string // username -> TOTP secret
}

func newConsoleWorld(t *testing.T) *consoleWorld {
	t.Helper()
	s := startServer(t)
	w := &consoleWorld{s: s, totp: map[string]string{}}
	conn := []string{"--server", s.adminURL, "--token", s.token, "-o", "json"}
	run := func(stdin string, args ...string) map[string]any {
		t.Helper()
		out, errOut, err := runCLI(t, stdin, append(args, conn...)...)
		if err != nil {
			t.Fatalf("jeton %v: %v\n%s", args, err, errOut)
		}
		return decodeOne(t, out)
	}
	w.instA = run("", "institution", "create", "--name", "First Credit Union")["id"].(string)
	w.instB = run("", "institution", "create", "--name", "Second Savings")["id"].(string)
	run("", "institution", "branding", w.instB, "--display-name", "Second Savings", "--accent-color", "#0b6e4f")
	run("carol's long password\n", "customer", "create", "--institution", w.instA, "--username", "carol")
	for _, u := range [][]string{{"olga", "operator", ""}, {"bea", "institution-admin", w.instB}} {
		args := []string{"console-user", "create", "--data-dir", s.dataDir, "--role", u[1], "--username", u[0], "-o", "json"}
		if u[2] != "" {
			args = append(args, "--institution", u[2])
		}
		out, errOut, err := runCLI(t, u[0]+"'s console password\n", args...)
		if err != nil {
			t.Fatalf("console-user create: %v\n%s", err, errOut)
		}
		m := decodeOne(t, out)
		if !strings.HasPrefix(m["otpauth_uri"].(string), "otpauth://totp/") || len(m["recovery_codes"].([]any)) != 10 {
			t.Fatalf("console-user create printed %v", m)
		}
		w.totp[u[0]] = m["totp_secret"].(string)
	}
	return w
}

// browserSession drives one headless Chromium tab against the console, checking
// every page with axe-core and saving screenshots at 390 and 1280 px.
type browserSession struct {
	t     *testing.T
	ctx   context.Context
	base  string // admin listener URL
	shots string
	seen  map[string]bool
}

func newBrowserSession(t *testing.T, base string) *browserSession {
	t.Helper()
	chromium := findChromium(t)
	shots := os.Getenv("JETON_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU)...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 240*time.Second) // a loaded CI machine
	t.Cleanup(cancel)
	b := &browserSession{t: t, ctx: ctx, base: base, shots: shots, seen: map[string]bool{}}
	b.do(chromedp.Navigate("about:blank"))
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: name == "clipboard-read"},
			Setting:    browser.PermissionSettingGranted, Origin: base}); err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	return b
}

func findChromium(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed (apt-get install -y chromium; .ci/run does it): skipping the browser test")
	return ""
}

func (b *browserSession) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

func (b *browserSession) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitText waits (up to 10 s) until the text of sel satisfies ok, reading through a
// navigation in progress.
func (b *browserSession) waitText(sel string, ok func(string) bool) {
	b.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
		if err == nil && ok(strings.TrimSpace(s)) {
			return
		}
	}
	b.t.Fatalf("browser: the text of %s never became what was awaited", sel)
}

// page checks the page on screen: axe-core finds no serious or critical violation,
// and (once per name) screenshots at both widths.
func (b *browserSession) page(name string) {
	b.t.Helper()
	type violation struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	var vs []violation
	for _, width := range []int64{390, 1280} {
		b.do(chromedp.EmulateViewport(width, 900))
		raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](axeSource+`
			;axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
		if err != nil {
			b.t.Fatalf("axe on %s: %v", name, err)
		}
		var got []violation
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			b.t.Fatalf("axe result: %v", err)
		}
		vs = append(vs, got...)
		if !b.seen[name] {
			png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				b.t.Fatal(err)
			}
			_ = os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644)
		}
	}
	b.seen[name] = true
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("axe on %s: %s %s (%s) at %v", name, v.Impact, v.ID, v.Help, v.Nodes)
		}
	}
}

func (w *consoleWorld) code(user string) string {
	c, err := totp.GenerateCode(w.totp[user], time.Now())
	if err != nil {
		panic(err)
	}
	return c
}

// TestConsoleBrowser is issue 17's walk through the console in headless Chromium.
func TestConsoleBrowser(t *testing.T) {
	w := newConsoleWorld(t)
	s := w.s
	b := newBrowserSession(t, s.adminURL)
	console := s.adminURL + "/console/"

	// Sign in with TOTP.
	b.do(chromedp.Navigate(console), chromedp.WaitVisible(chromedp.CSS("#username")))
	b.page("signin")
	b.do(chromedp.SendKeys(chromedp.CSS("#username"), "olga"),
		chromedp.SendKeys(chromedp.CSS("#password"), "olga's console password"),
		chromedp.SendKeys(chromedp.CSS("#code"), w.code("olga")),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#q")))
	b.page("apps")

	// Create an application with an uploaded certificate.
	key, certFile := writeCert(t)
	b.do(chromedp.Navigate(console+"apps/new"), chromedp.WaitVisible(chromedp.CSS("#name")))
	b.page("new")
	b.do(chromedp.SetValue(chromedp.CSS("#institution_id"), w.instA),
		chromedp.SendKeys(chromedp.CSS("#name"), "Card <b>app</b>"),
		chromedp.SetValue(chromedp.CSS("#auth_method"), "private_key_jwt"),
		chromedp.SendKeys(chromedp.CSS("#scopes"), "accounts"),
		chromedp.SetUploadFiles(chromedp.CSS("#key"), []string{certFile}),
		chromedp.Submit(chromedp.CSS("#name")),
		chromedp.WaitVisible(chromedp.CSS("#client-id")))
	b.page("app")
	if h := b.text("h1"); h != "Card <b>app</b>" {
		t.Errorf("app page title %q: HTML in the name must show as text", h)
	}
	certApp := b.text("#client-id")

	// Copy its client ID: the copy button puts it on the clipboard.
	b.do(chromedp.Click(chromedp.CSS(`button[data-copy="client-id"]`)))
	copied, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil || copied != certApp {
		t.Errorf("clipboard holds %q (%v), want the client id %q", copied, err, certApp)
	}
	// A token with it through the public listener (private_key_jwt, RFC 7523).
	if st, body := postForm(t, s.public+"/oauth2/token", assertionForm(t, key, certApp, s.public+"/oauth2/token"), "", ""); st != http.StatusOK {
		t.Fatalf("token with the certificate's key: %d %s", st, body)
	}

	// A secret application: rotate its secret, get a token with the new one.
	b.do(chromedp.Navigate(console+"apps/new"), chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SetValue(chromedp.CSS("#institution_id"), w.instA),
		chromedp.SendKeys(chromedp.CSS("#name"), "Budget app"),
		chromedp.SendKeys(chromedp.CSS("#scopes"), "accounts"),
		chromedp.Submit(chromedp.CSS("#name")),
		chromedp.WaitVisible(chromedp.CSS("#secret-value")))
	secretApp, first := b.text("#client-id"), b.text("#secret-value")
	// The creation page already shows #secret-panel, so waiting for it would return on
	// the old page while the rotation's answer loads (axe then ran on a page being
	// replaced: "Inspected target navigated or closed"); wait for the new secret.
	b.do(chromedp.Click(chromedp.CSS("#rotate")))
	b.waitText("#secret-value", func(s string) bool { return s != "" && s != first })
	b.page("app-secret")
	secret := b.text("#secret-value")
	if secret == first {
		t.Fatal("rotation showed the old secret")
	}
	b.do(chromedp.Click(chromedp.CSS(".dismiss")), chromedp.WaitNotPresent(chromedp.CSS("#secret-panel")))
	if st, _ := postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", secretApp, first); st != http.StatusUnauthorized {
		t.Errorf("the old secret still works: %d", st)
	}
	for range 3 {
		if st, body := postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", secretApp, secret); st != http.StatusOK {
			t.Fatalf("token with the rotated secret: %d %s", st, body)
		}
	}

	// See them counted on the activity chart, which refreshes in place.
	b.do(chromedp.Navigate(console+"activity"), chromedp.WaitVisible(chromedp.CSS("#activity")))
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("activity").dataset.marker = "same page"`)); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS(".series-total")))
	if marker, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("activity").dataset.marker || ""`)); marker != "same page" {
		t.Error("the activity page reloaded instead of refreshing its chart")
	}
	// 1 token by assertion and 3 by secret, counted once the sampler has seen them all.
	var legend string
	for range 30 {
		if legend = b.text(".legend tbody"); strings.Contains(legend, "oauth2 ok\t4") || strings.Contains(legend, "oauth2 ok 4") {
			break
		}
		time.Sleep(time.Second)
	}
	if !strings.Contains(legend, "oauth2 ok") || !strings.Contains(legend, "4") {
		t.Errorf("activity legend %q does not count the 4 tokens issued", legend)
	}
	b.page("activity")

	// Lock and unlock a customer.
	lockCustomer(t, w)
	b.do(chromedp.Navigate(console+"customers?institution="+w.instA), chromedp.WaitVisible(chromedp.CSS("#cust-carol")))
	b.page("customers")
	if st := b.text("#cust-carol .state"); !strings.HasPrefix(st, "Locked until") {
		t.Fatalf("carol's state %q, want locked", st)
	}
	b.do(chromedp.Click(chromedp.CSS("#cust-carol button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if st := b.text("#cust-carol .state"); st != "Not locked" {
		t.Errorf("after unlock carol's state is %q", st)
	}

	// Working hours: closed now, and a token request is refused.
	closedDay := time.Now().UTC().Add(48 * time.Hour).Weekday().String()[:3]
	b.do(chromedp.Navigate(console+"hours?institution="+w.instA), chromedp.WaitVisible(chromedp.CSS("#time_zone")))
	b.page("hours")
	b.do(chromedp.SetValue(chromedp.CSS("#time_zone"), "UTC"),
		chromedp.SetValue(chromedp.CSS("#windows"), closedDay+" 09:00-10:00"),
		chromedp.Submit(chromedp.CSS("#time_zone")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if st := b.text("#open-state"); !strings.HasPrefix(st, "Closed now. Next opening:") {
		t.Errorf("hours state %q", st)
	}
	if st, body := postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", secretApp, secret); st == http.StatusOK {
		t.Errorf("a token outside working hours: %d %s", st, body)
	}

	for _, p := range []string{"institutions", "keys", "audit"} {
		b.do(chromedp.Navigate(console+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		b.page(p)
	}
	if audit := b.text("main table"); !strings.Contains(audit, "console:olga") {
		t.Error("the audit log does not name the console user")
	}

	// Console users: disable bea (with confirmation), then enable her again.
	b.do(chromedp.Navigate(console+"users"), chromedp.WaitVisible(chromedp.CSS("#user-bea")))
	b.page("users")
	if me := b.text("#user-olga"); !strings.Contains(me, "(you)") {
		t.Errorf("the operator's own row offers a disable: %q", me)
	}
	for _, op := range []string{"disable", "enable"} {
		b.do(chromedp.Click(chromedp.CSS("#user-bea a.button")), chromedp.WaitVisible(chromedp.CSS("#confirm-user")))
		b.page("user-" + op)
		b.do(chromedp.Click(chromedp.CSS(`input[name="confirm"]`)), chromedp.Click(chromedp.CSS("#confirm-user")),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		want := map[string]string{"disable": "Disabled since", "enable": "Active"}[op]
		if st := b.text("#user-bea .state"); !strings.HasPrefix(st, want) {
			t.Errorf("after %s bea's state is %q", op, st)
		}
	}

	// Sign out; the console then asks to sign in again.
	b.do(chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.Navigate(console+"apps"), chromedp.WaitVisible(chromedp.CSS("#username")))

	// An institution admin of B sees neither A's applications nor can open one.
	b.do(chromedp.SendKeys(chromedp.CSS("#username"), "bea"),
		chromedp.SendKeys(chromedp.CSS("#password"), "bea's console password"),
		chromedp.SendKeys(chromedp.CSS("#code"), w.code("bea")),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#q")))
	b.page("apps-admin")
	if main := b.text("main"); strings.Contains(main, certApp) || strings.Contains(main, secretApp) {
		t.Error("B's admin sees A's applications")
	}
	b.do(chromedp.Navigate(console+"apps/"+certApp), chromedp.WaitVisible(chromedp.CSS("main .error")))
	if main := b.text("main"); strings.Contains(main, certApp) || !strings.Contains(main, "Not found") {
		t.Errorf("B's admin opened A's app by URL: %q", main)
	}
	b.page("notfound")
}

// writeCert makes a P-256 key and a self-signed certificate file for it.
func writeCert(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "card app"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "app.crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return k, path
}

// assertionForm is a client_credentials request authenticated by an ES256 client
// assertion (RFC 7523 §2.2).
func assertionForm(t *testing.T, k *ecdsa.PrivateKey, clientID, aud string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := josejwt.Signed(sig).Claims(josejwt.Claims{Issuer: clientID, Subject: clientID,
		Audience: josejwt.Audience{aud}, ID: fmt.Sprint(now.UnixNano()),
		IssuedAt: josejwt.NewNumericDate(now), Expiry: josejwt.NewNumericDate(now.Add(time.Minute))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"grant_type": {"client_credentials"}, "client_assertion": {tok},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}.Encode()
}

// lockCustomer locks carol with wrong passwords through the password grant.
func lockCustomer(t *testing.T, w *consoleWorld) {
	t.Helper()
	out, errOut, err := runCLI(t, "", "client", "create", "--institution", w.instA, "--name", "Teller",
		"--grant", "password", "--scope", "accounts", "--server", w.s.adminURL, "--token", w.s.token, "-o", "json")
	if err != nil {
		t.Fatalf("client create: %v\n%s", err, errOut)
	}
	c := decodeOne(t, out)
	id, secret := c["client_id"].(string), c["client_secret"].(string)
	for i := range 5 {
		st, _ := postForm(t, w.s.public+"/oauth2/token", url.Values{"grant_type": {"password"},
			"username": {"carol"}, "password": {fmt.Sprintf("wrong password %d", i)}}.Encode(), id, secret)
		if st == http.StatusOK {
			t.Fatal("a wrong password was accepted")
		}
	}
}

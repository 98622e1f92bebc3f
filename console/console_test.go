package console_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func TestSignInWithTOTPAndReplay(t *testing.T) {
	w := newWorld(t)
	code := w.code("olga", 0)
	if st := w.browser().signIn("olga", userPassword, code); st != http.StatusSeeOther {
		t.Fatalf("first sign-in: %d", st)
	}
	// The same code again, within its window, from another browser: refused (RFC 6238 §5.2).
	if st := w.browser().signIn("olga", userPassword, code); st != http.StatusUnauthorized {
		t.Fatalf("replayed TOTP code: %d, want 401", st)
	}
	// A wrong password with a fresh code: refused, and that code is not spent.
	w.advance(30 * time.Second)
	if st := w.browser().signIn("olga", "wrong password!", w.code("olga", 0)); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", st)
	}
	if st := w.browser().signIn("olga", userPassword, w.code("olga", 0)); st != http.StatusSeeOther {
		t.Fatalf("fresh code after a wrong password: %d", st)
	}
}

func TestRecoveryCodeWorksOnce(t *testing.T) {
	w := newWorld(t)
	rc := strings.ToUpper(w.users["alice"].RecoveryCodes[3])
	if st := w.browser().signIn("alice", userPassword, rc); st != http.StatusSeeOther {
		t.Fatalf("recovery code: %d", st)
	}
	if st := w.browser().signIn("alice", userPassword, rc); st != http.StatusUnauthorized {
		t.Fatalf("recovery code twice: %d, want 401", st)
	}
}

func TestBruteForceLocksOut(t *testing.T) {
	w := newWorld(t)
	for i := range 3 {
		if st := w.browser().signIn("olga", "guess-number-"+string(rune('a'+i)), w.code("olga", 0)); st != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	// Locked: even the right password and code are refused, with the same answer.
	b := w.browser()
	b.get("/console/signin")
	st, body := b.post("/console/signin", url.Values{"username": {"olga"}, "password": {userPassword}, "code": {w.code("olga", 0)}})
	if st != http.StatusUnauthorized {
		t.Fatalf("locked user signed in: %d", st)
	}
	contains(t, "locked answer", body, "Sign-in failed.")
	w.advance(11 * time.Minute)
	if st := w.browser().signIn("olga", userPassword, w.code("olga", 0)); st != http.StatusSeeOther {
		t.Fatalf("after the cooldown: %d", st)
	}
}

func TestCSRFAndCookies(t *testing.T) {
	w := newWorld(t)
	b := w.signedIn("olga")
	// Missing and wrong CSRF tokens.
	if st, _ := b.post("/console/apps", url.Values{"csrf": {""}, "name": {"x"}, "institution_id": {"inst-a"}}); st != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", st)
	}
	if st, _ := b.post("/console/apps", url.Values{"csrf": {strings.Repeat("A", 43)}, "name": {"x"}, "institution_id": {"inst-a"}}); st != http.StatusForbidden {
		t.Errorf("wrong CSRF token: %d", st)
	}
	// A request from another origin, even with the token.
	req, _ := http.NewRequest("POST", w.srv.URL+"/console/signout", strings.NewReader("csrf="+b.csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d", resp.StatusCode)
	}
	// A stale token: the one of a session that signed out.
	stale := b.csrf
	if st, _ := b.post("/console/signout", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("sign out: %d", st)
	}
	b2 := w.signedIn("olga")
	if st, _ := b2.post("/console/apps", url.Values{"csrf": {stale}, "name": {"x"}, "institution_id": {"inst-a"}}); st != http.StatusForbidden {
		t.Errorf("stale CSRF token: %d", st)
	}
	// The signed-out session's cookie no longer works; nor does a tampered one.
	if st, _ := b.get("/console/apps"); st != http.StatusSeeOther {
		t.Errorf("signed-out cookie: %d", st)
	}
	tampered := w.browser()
	u, _ := url.Parse(w.srv.URL + "/console/")
	tampered.c.Jar.SetCookies(u, []*http.Cookie{{Name: "jeton_console", Value: strings.Repeat("x", 43), Path: "/console/"}})
	if st, _ := tampered.get("/console/apps"); st != http.StatusSeeOther {
		t.Errorf("tampered cookie: %d", st)
	}
	// The session cookie's attributes.
	b3 := w.browser()
	b3.get("/console/signin")
	w.advance(30 * time.Second)
	resp, err = b3.c.PostForm(w.srv.URL+"/console/signin", url.Values{"csrf": {b3.csrf}, "username": {"olga"}, "password": {userPassword}, "code": {w.code("olga", 0)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name == "jeton_console" {
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/console/" {
				t.Errorf("session cookie attributes: %+v", c)
			}
		}
	}
	if !found {
		t.Error("no session cookie set")
	}
}

func TestIdleTimeout(t *testing.T) {
	w := newWorld(t)
	b := w.signedIn("olga")
	w.advance(14 * time.Minute)
	if st, _ := b.get("/console/apps"); st != http.StatusOK {
		t.Fatalf("active session: %d", st)
	}
	w.advance(16 * time.Minute)
	if st, _ := b.get("/console/apps"); st != http.StatusSeeOther {
		t.Fatalf("idle session: %d, want a redirect to sign-in", st)
	}
}

// upload posts the new-application form with an optional key file.
func (b *browser) upload(form url.Values, filename string, file []byte) (int, string) {
	b.w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if filename != "" {
		fw, _ := mw.CreateFormFile("key", filename)
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	resp, err := b.c.Post(b.w.srv.URL+"/console/apps", mw.FormDataContentType(), &buf)
	if err != nil {
		b.w.t.Fatal(err)
	}
	return b.read(resp)
}

func certPEM(t *testing.T) []byte {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "app"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func smallRSAPEM(t *testing.T) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

var clientIDRE = regexp.MustCompile(`<code id="client-id">([^<]+)</code>`)

func TestCreateApplicationWithCertificate(t *testing.T) {
	w := newWorld(t)
	b := w.signedIn("alice")
	b.get("/console/apps/new")
	form := url.Values{"institution_id": {"inst-a"}, "name": {"Card app"}, "grants": {"client_credentials"},
		"auth_method": {"private_key_jwt"}, "scopes": {"accounts payments"}}
	st, body := b.upload(form, "app.crt", certPEM(t))
	if st != http.StatusCreated {
		t.Fatalf("create: %d\n%s", st, body)
	}
	m := clientIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no client id on the app page")
	}
	c, err := w.store.GetClient(t.Context(), m[1])
	if err != nil {
		t.Fatal(err)
	}
	if c.InstitutionID != "inst-a" || len(c.PublicKeys) != 1 || c.PublicKeys[0].Format != jeton.KeyX509 {
		t.Fatalf("stored client: %+v", c)
	}
	page, _ := w.store.ListAudit(t.Context(), jeton.AuditFilter{Action: "client.create"})
	events := page.Events
	if len(events) != 1 || events[0].Actor != "console:alice" {
		t.Fatalf("audit: %+v", events)
	}
}

func TestCreateApplicationBadInput(t *testing.T) {
	w := newWorld(t)
	b := w.signedIn("olga")
	b.get("/console/apps/new")
	base := func() url.Values {
		return url.Values{"institution_id": {"inst-a"}, "name": {"App"}, "grants": {"client_credentials"}, "auth_method": {"private_key_jwt"}}
	}
	st, body := b.upload(base(), "small.pem", smallRSAPEM(t))
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("1024-bit RSA key: %d", st)
	}
	contains(t, "key-size error", body, `id="key-err"`)
	contains(t, "key-size error", body, "at least 2048 required")
	st, body = b.upload(base(), "photo.png", []byte("\x89PNG\r\n\x1a\n not a key"))
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("wrong file type: %d", st)
	}
	contains(t, "file type error", body, "not a PEM public key or certificate")
	st, _ = b.upload(base(), "huge.pem", bytes.Repeat([]byte("A"), 10<<20))
	if st != http.StatusRequestEntityTooLarge {
		t.Fatalf("10 MiB upload: %d, want 413", st)
	}
	// HTML in every text field is shown inert.
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	f := url.Values{"institution_id": {"inst-a"}, "name": {evil}, "grants": {"client_credentials"}, "scopes": {"a"}}
	st, body = b.upload(f, "", nil)
	if st != http.StatusCreated {
		t.Fatalf("create with HTML name: %d", st)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatal("HTML in the name was rendered live")
	}
	contains(t, "escaped name", body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	_, body = b.get("/console/apps?q=" + url.QueryEscape(evil))
	if strings.Contains(body, "<script>alert") {
		t.Fatal("HTML in the search was rendered live")
	}
	st, body = b.upload(url.Values{"institution_id": {"inst-a"}, "name": {"x"}, "grants": {"client_credentials"}, "scopes": {"a"}, "redirect_uris": {"javascript:alert(1)"}}, "", nil)
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("javascript: redirect URI: %d", st)
	}
	contains(t, "redirect error", body, `id="redirect_uris-err"`)
}

func TestInstitutionAdminSeesOnlyItsOwn(t *testing.T) {
	w := newWorld(t)
	op := w.signedIn("olga")
	op.get("/console/apps/new")
	_, body := op.upload(url.Values{"institution_id": {"inst-b"}, "name": {"B app"}, "grants": {"client_credentials"}}, "", nil)
	m := clientIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("operator could not create B's app")
	}
	bApp := m[1]
	alice := w.signedIn("alice")
	if _, body := alice.get("/console/apps"); strings.Contains(body, bApp) {
		t.Error("B's app is in A's list")
	}
	if st, body := alice.get("/console/apps/" + bApp); st != http.StatusNotFound || strings.Contains(body, bApp) {
		t.Errorf("A's admin opened B's app by URL: %d", st)
	}
	for _, path := range []string{"/secret", "/status", "/delete"} {
		if st, _ := alice.post("/console/apps/"+bApp+path, url.Values{"status": {"disabled"}, "confirm": {"yes"}}); st != http.StatusNotFound {
			t.Errorf("A's admin replayed %s on B's app: %d", path, st)
		}
	}
	// A create form replayed with B's institution.
	if st, _ := alice.upload(url.Values{"institution_id": {"inst-b"}, "name": {"sneaky"}, "grants": {"client_credentials"}}, "", nil); st != http.StatusNotFound {
		t.Errorf("A's admin created an app in B: %d", st)
	}
	c, err := w.store.GetClient(t.Context(), bApp)
	if err != nil || c.Status != jeton.ClientActive || c.UpdatedAt != c.CreatedAt {
		t.Fatalf("B's app changed: %+v, %v", c, err)
	}
	for _, p := range []string{"/console/keys", "/console/institutions", "/console/activity", "/console/activity/chart"} {
		if st, _ := alice.get(p); st != http.StatusNotFound {
			t.Errorf("institution admin opened %s: %d", p, st)
		}
	}
	if st, _ := alice.post("/console/customers/inst-b/nobody/unlock", url.Values{}); st != http.StatusNotFound {
		t.Errorf("institution admin unlocked in B: %d", st)
	}
	if st, _ := alice.post("/console/hours", url.Values{"institution": {"inst-b"}, "time_zone": {"UTC"}, "windows": {"Mon 09:00-10:00"}}); st != http.StatusNotFound {
		t.Errorf("institution admin replayed B's hours form: %d", st)
	}
	for _, inst := range []string{"inst-a", "inst-b"} {
		if _, err := w.store.GetCalendar(t.Context(), inst); err == nil {
			t.Errorf("a replayed hours form set %s's working hours", inst)
		}
	}
	if st, body := alice.post("/console/hours", url.Values{"institution": {"inst-a"}, "time_zone": {"Mars/Olympus"}, "windows": {"Mon 09:00-10:00"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "time_zone") {
		t.Errorf("bad time zone: %d", st)
	}
	if st, body := alice.post("/console/hours", url.Values{"institution": {"inst-a"}, "time_zone": {"UTC"}, "windows": {"Mon 09:00-10:00"}}); st != http.StatusOK || !strings.Contains(body, "Working hours saved.") {
		t.Errorf("own hours: %d", st)
	}
	if c, err := w.store.GetCalendar(t.Context(), "inst-a"); err != nil || len(c.Windows) != 1 {
		t.Errorf("own hours not saved: %v", err)
	}
}

func TestRotateDisableDelete(t *testing.T) {
	w := newWorld(t)
	b := w.signedIn("alice")
	b.get("/console/apps/new")
	st, body := b.upload(url.Values{"institution_id": {"inst-a"}, "name": {"App"}, "grants": {"client_credentials"}}, "", nil)
	if st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	id := clientIDRE.FindStringSubmatch(body)[1]
	first := regexp.MustCompile(`<code id="secret-value">([^<]+)</code>`).FindStringSubmatch(body)
	st, body = b.post("/console/apps/"+id+"/secret", url.Values{"grace": {"0"}})
	second := regexp.MustCompile(`<code id="secret-value">([^<]+)</code>`).FindStringSubmatch(body)
	if st != http.StatusOK || first == nil || second == nil || first[1] == second[1] {
		t.Fatalf("rotate: %d", st)
	}
	c, _ := w.store.GetClient(t.Context(), id)
	if d := jeton.Digest(second[1]); !bytes.Equal(c.SecretDigest, d) {
		t.Fatal("the shown secret is not the stored one")
	}
	if _, body := b.get("/console/apps/" + id); strings.Contains(body, second[1]) {
		t.Fatal("the secret is shown again")
	}
	b.post("/console/apps/"+id+"/status", url.Values{"status": {"disabled"}})
	if c, _ := w.store.GetClient(t.Context(), id); c.Status != jeton.ClientDisabled {
		t.Fatalf("disable: %s", c.Status)
	}
	if st, _ := b.post("/console/apps/"+id+"/delete", url.Values{}); st != http.StatusUnprocessableEntity {
		t.Fatalf("delete without confirmation: %d", st)
	}
	if st, _ := b.post("/console/apps/"+id+"/delete", url.Values{"confirm": {"yes"}}); st != http.StatusSeeOther {
		t.Fatalf("delete: %d", st)
	}
	if c, _ := w.store.GetClient(t.Context(), id); c.Status != jeton.ClientDeleted {
		t.Fatalf("delete: %s", c.Status)
	}
	page, _ := w.store.ListAudit(t.Context(), jeton.AuditFilter{InstitutionID: "inst-a"})
	events := page.Events
	for _, e := range events {
		if strings.HasPrefix(e.Action, "client.") && e.Actor != "console:alice" {
			t.Errorf("%s by %q", e.Action, e.Actor)
		}
	}
}

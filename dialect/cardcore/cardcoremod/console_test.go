package cardcoremod

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/console"
	"github.com/jeton/jeton/dialect/cardcore"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// consoleWorld is the console with CardCore's pages over a real SQLite store: two
// institutions, an operator and an admin of inst-a.
type consoleWorld struct {
	t     *testing.T
	store jeton.Store
	srv   *httptest.Server
	now   time.Time
	totp  map[string]string
}

func newConsoleWorld(t *testing.T) *consoleWorld {
	t.Helper()
	ctx := t.Context()
	st := sqlitetest.New(t)
	w := &consoleWorld{t: t, store: st, now: time.Now().UTC(), totp: map[string]string{}}
	for _, id := range []string{"inst-a", "inst-b"} {
		if err := st.CreateInstitution(ctx, jeton.Institution{ID: id, Name: "Bank " + id, CreatedAt: w.now, UpdatedAt: w.now}); err != nil {
			t.Fatal(err)
		}
	}
	sealer, _ := keys.NewTOTPSealer(make([]byte, 32))
	cheap := password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}
	for _, u := range []console.UserInput{{Username: "olga", Role: jeton.ConsoleOperator, Password: "olga's password"},
		{Username: "alice", Role: jeton.ConsoleInstitutionAdmin, InstitutionID: "inst-a", Password: "alice's password"}} {
		nu, err := console.CreateUser(ctx, st, sealer, cheap, u, w.now)
		if err != nil {
			t.Fatal(err)
		}
		w.totp[u.Username] = nu.TOTPSecret
	}
	both, _ := stores(st)
	svc := clients.New(clients.Config{Store: st, Now: time.Now})
	m := New()
	m.dialect = cardcore.New(cardcore.Config{Store: both, Apps: cardcore.NewApps(both, 0, nil), Clients: svc})
	m.tokenURL = "https://jeton.example/cardcore" + cardcore.TokenPath
	c, err := console.New(console.Config{Store: st, Clients: svc, TOTP: sealer, Issuer: "https://jeton.example",
		Password: cheap, Extensions: m.ConsolePages()})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(c)
	t.Cleanup(w.srv.Close)
	return w
}

type consoleBrowser struct {
	w    *consoleWorld
	c    *http.Client
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *consoleBrowser) read(resp *http.Response, err error) (int, string) {
	b.w.t.Helper()
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body)
}

func (b *consoleBrowser) get(path string) (int, string) { return b.read(b.c.Get(b.w.srv.URL + path)) }

func (b *consoleBrowser) post(path string, form url.Values) (int, string) {
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	return b.read(b.c.PostForm(b.w.srv.URL+path, form))
}

// signedIn signs user in (each user signs in once per test: a TOTP code is single-use).
func (w *consoleWorld) signedIn(user string) *consoleBrowser {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &consoleBrowser{w: w, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.get("/console/signin")
	code, _ := totp.GenerateCode(w.totp[user], time.Now())
	if st, _ := b.post("/console/signin", url.Values{"username": {user}, "password": {user + "'s password"}, "code": {code}}); st != http.StatusSeeOther {
		w.t.Fatalf("sign-in of %s: %d", user, st)
	}
	b.get("/console/x/cardcore/")
	return b
}

// create posts the new-application form with a key file.
func (b *consoleBrowser) create(form url.Values, filename string, file []byte) (int, string) {
	b.w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if filename != "" {
		fw, _ := mw.CreateFormFile("public_key", filename)
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.w.srv.URL+"/console/x/cardcore/apps", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.read(b.c.Do(req))
}

func publicKeyPEM(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func appForm(inst, name string) url.Values {
	return url.Values{"institution_id": {inst}, "name": {name}, "description": {"cards"}, "website_url": {"https://fintech.example"},
		"icon_url": {"https://fintech.example/i.png"}, "scopes": {"READ WRITE"}}
}

var clientIDRE = regexp.MustCompile(`<code id="client-id">([0-9a-f]{32})</code>`)
var appKeyRE = regexp.MustCompile(`<code id="app-key">([0-9a-f]{32})</code>`)

// TestConsoleCardCorePages: an institution admin creates a CardCore application with
// its key upload through the dialect's own management (audited as the console user),
// sees its client ID and institutionId, and deletes it; bad input is refused inline;
// another institution's applications are 404 by URL and by replayed form.
func TestConsoleCardCorePages(t *testing.T) {
	w := newConsoleWorld(t)
	alice := w.signedIn("alice")
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	evil := `<script>alert(1)</script>`
	st, body := alice.create(appForm("inst-a", "Cards "+evil), "key.pem", publicKeyPEM(t, &ec.PublicKey))
	if st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, body)
	}
	if strings.Contains(body, evil) || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatal("HTML in the name was not rendered inert")
	}
	cid, key := clientIDRE.FindStringSubmatch(body), appKeyRE.FindStringSubmatch(body)
	if cid == nil || key == nil {
		t.Fatalf("app page lacks the client ID or key: %s", body)
	}
	if !strings.Contains(body, `&#34;institutionId&#34;:&#34;`+key[1]) || !strings.Contains(body, "/cardcore/institutions/oauth/token") {
		t.Error("the example request is not CardCore's")
	}
	c, err := w.store.GetClient(t.Context(), cid[1])
	if err != nil || c.AuthMethod != jeton.AuthPrivateKey || c.InstitutionID != "inst-a" {
		t.Fatalf("created client %+v %v", c, err)
	}
	page, _ := w.store.ListAudit(t.Context(), jeton.AuditFilter{Action: cardcore.ActionAppCreate})
	if len(page.Events) != 1 || page.Events[0].Actor != "console:alice" || page.Events[0].Subject != cid[1] {
		t.Fatalf("create audit: %+v", page.Events)
	}
	if st, body := alice.get("/console/x/cardcore/"); st != http.StatusOK || !strings.Contains(body, cid[1]) {
		t.Fatalf("list: %d", st)
	}

	// Bad input, each refused inline and nothing created.
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, c := range []struct {
		name, file string
		data       []byte
		form       url.Values
		want       string
	}{
		{"1024-bit RSA key", "small.pem", publicKeyPEM(t, &small.PublicKey), appForm("inst-a", "x"), "1024-bit RSA key"},
		{"wrong file type", "photo.png", []byte("\x89PNG\r\n\x1a\n not a key"), appForm("inst-a", "x"), `id="public_key-err"`},
		{"no file", "", nil, appForm("inst-a", "x"), "Upload the application"},
		{"file over 64 KiB", "big.pem", bytes.Repeat([]byte("A"), 65<<10), appForm("inst-a", "x"), "at most 64 KiB"},
		{"javascript: website", "key.pem", publicKeyPEM(t, &ec.PublicKey), func() url.Values {
			f := appForm("inst-a", "x")
			f.Set("website_url", "javascript:alert(1)")
			return f
		}(), `id="website_url-err"`},
		{"no scopes", "key.pem", publicKeyPEM(t, &ec.PublicKey), func() url.Values { f := appForm("inst-a", "x"); f.Del("scopes"); return f }(), `id="scopes-err"`},
	} {
		st, body := alice.create(c.form, c.file, c.data)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, body lacks %q", c.name, st, c.want)
		}
	}
	if st, _ := alice.create(appForm("inst-a", "x"), "huge.pem", bytes.Repeat([]byte("A"), 10<<20)); st != http.StatusRequestEntityTooLarge {
		t.Errorf("10 MiB upload: %d, want 413", st)
	}
	if st, _ := alice.create(url.Values{"csrf": {"forged"}, "institution_id": {"inst-a"}}, "key.pem", publicKeyPEM(t, &ec.PublicKey)); st != http.StatusForbidden {
		t.Errorf("forged CSRF token: %d", st)
	}

	// The operator's application of inst-b: alice gets 404 by URL and by replayed form.
	op := w.signedIn("olga")
	st, body = op.create(appForm("inst-b", "B cards"), "key.pem", publicKeyPEM(t, &ec.PublicKey))
	if st != http.StatusCreated {
		t.Fatalf("operator create for inst-b: %d", st)
	}
	bKey := appKeyRE.FindStringSubmatch(body)[1]
	for _, p := range []string{"/console/x/cardcore/apps/inst-b/" + bKey, "/console/x/cardcore/apps/inst-b/" + bKey + "/delete",
		"/console/x/cardcore/apps/inst-a/" + bKey} {
		if st, _ := alice.get(p); st != http.StatusNotFound {
			t.Errorf("alice GET %s: %d, want 404", p, st)
		}
	}
	if st, body := alice.get("/console/x/cardcore/?institution=inst-b"); st != http.StatusOK || strings.Contains(body, bKey) {
		t.Errorf("alice listed inst-b's applications: %d", st)
	}
	if st, _ := alice.post("/console/x/cardcore/apps/inst-b/"+bKey+"/delete", url.Values{"confirm": {"yes"}}); st != http.StatusNotFound {
		t.Errorf("alice replayed a delete of inst-b's app: %d", st)
	}
	if st, _ := alice.create(appForm("inst-b", "sneaky"), "key.pem", publicKeyPEM(t, &ec.PublicKey)); st != http.StatusNotFound {
		t.Errorf("alice replayed a create for inst-b: %d", st)
	}
	if _, app, err := m(w).App(t.Context(), "inst-b", bKey); err != nil || app.Deleted {
		t.Fatalf("inst-b's app after alice's attempts: %v", err)
	}

	// Delete: confirmation first, then gone, audited as the console user.
	path := "/console/x/cardcore/apps/inst-a/" + key[1] + "/delete"
	if st, _ := alice.get(path); st != http.StatusOK {
		t.Fatalf("delete confirmation: %d", st)
	}
	if st, _ := alice.post(path, url.Values{}); st != http.StatusUnprocessableEntity {
		t.Fatalf("unconfirmed delete: %d", st)
	}
	if st, _ := alice.post(path, url.Values{"confirm": {"yes"}}); st != http.StatusSeeOther {
		t.Fatalf("delete: %d", st)
	}
	if c, _ := w.store.GetClient(t.Context(), cid[1]); c.Status != jeton.ClientDeleted {
		t.Fatalf("client after delete: %s", c.Status)
	}
	if st, _ := alice.get("/console/x/cardcore/apps/inst-a/" + key[1]); st != http.StatusNotFound {
		t.Errorf("deleted app page: %d", st)
	}
	page, _ = w.store.ListAudit(t.Context(), jeton.AuditFilter{Action: cardcore.ActionAppDelete})
	if len(page.Events) != 1 || page.Events[0].Actor != "console:alice" {
		t.Fatalf("delete audit: %+v", page.Events)
	}
}

// m is the dialect of the world's console, for checks through the service.
func m(w *consoleWorld) *cardcore.Dialect {
	both, _ := stores(w.store)
	return cardcore.New(cardcore.Config{Store: both, Apps: cardcore.NewApps(both, 0, nil), Clients: clients.New(clients.Config{Store: w.store})})
}

package console_test

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/console"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// cheap keeps argon2id fast in tests; the cost does not change any rule tested here.
var cheap = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

const userPassword = "correct horse battery"

// world is a console on a real SQLite store with two institutions, an operator and
// an admin of institution "inst-a".
type world struct {
	t       testing.TB
	store   jeton.Store
	srv     *httptest.Server
	mu      sync.Mutex
	now     time.Time
	users   map[string]console.NewUser
	clients *clients.Service
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func newWorld(t testing.TB) *world {
	t.Helper()
	return newWorldOn(t, sqlitetest.New(t))
}

// newWorldOn is newWorld over store, with the console extensions exts.
func newWorldOn(t testing.TB, store jeton.Store, exts ...console.Extension) *world {
	t.Helper()
	w := &world{t: t, store: store, now: time.Date(2031, 3, 4, 10, 0, 0, 0, time.UTC), users: map[string]console.NewUser{}}
	ctx := t.Context()
	for _, id := range []string{"inst-a", "inst-b"} {
		if err := store.CreateInstitution(ctx, jeton.Institution{ID: id, Name: "Bank " + id, CreatedAt: w.now, UpdatedAt: w.now}); err != nil {
			t.Fatal(err)
		}
	}
	kek := make([]byte, 32)
	_, _ = rand.Read(kek)
	sealer, err := keys.NewTOTPSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []console.UserInput{
		{Username: "olga", Role: jeton.ConsoleOperator, Password: userPassword},
		{Username: "alice", Role: jeton.ConsoleInstitutionAdmin, InstitutionID: "inst-a", Password: userPassword},
	} {
		nu, err := console.CreateUser(ctx, store, sealer, cheap, u, w.now)
		if err != nil {
			t.Fatal(err)
		}
		w.users[u.Username] = nu
	}
	w.clients = clients.New(clients.Config{Store: store, KEK: kek, Now: w.clock})
	c, err := console.New(console.Config{Store: store, Clients: w.clients, TOTP: sealer,
		Issuer: "https://jeton.example", Password: cheap, Now: w.clock, Extensions: exts,
		Lockout: jeton.LockoutPolicy{MaxFailures: 3, Window: 10 * time.Minute, Cooldown: 10 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, c)
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	return w
}

// code is the user's TOTP code at the world's time, d later.
func (w *world) code(user string, d time.Duration) string {
	c, err := totp.GenerateCode(w.users[user].TOTPSecret, w.clock().Add(d))
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	w    *world
	c    *http.Client
	csrf string
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{w: w, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get returns the status and body of path, remembering the page's CSRF token.
func (b *browser) get(path string) (int, string) {
	b.w.t.Helper()
	resp, err := b.c.Get(b.w.srv.URL + path)
	if err != nil {
		b.w.t.Fatal(err)
	}
	return b.read(resp)
}

func (b *browser) read(resp *http.Response) (int, string) {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body)
}

// post sends form with the remembered CSRF token unless form sets its own.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.w.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	resp, err := b.c.PostForm(b.w.srv.URL+path, form)
	if err != nil {
		b.w.t.Fatal(err)
	}
	return b.read(resp)
}

// signIn signs user in with code; it returns the sign-in answer's status.
func (b *browser) signIn(user, pw, code string) int {
	b.w.t.Helper()
	b.get("/console/signin")
	st, _ := b.post("/console/signin", url.Values{"username": {user}, "password": {pw}, "code": {code}})
	return st
}

// signedIn is a browser signed in as user with a fresh TOTP step.
func (w *world) signedIn(user string) *browser {
	w.t.Helper()
	b := w.browser()
	if st := b.signIn(user, userPassword, w.code(user, 0)); st != http.StatusSeeOther {
		w.t.Fatalf("sign-in of %s: status %d", user, st)
	}
	w.advance(30 * time.Second) // the next sign-in needs the next TOTP step
	b.get("/console/apps")
	return b
}

func contains(t *testing.T, what, body, want string) {
	t.Helper()
	if !strings.Contains(body, want) {
		t.Errorf("%s: body lacks %q", what, want)
	}
}

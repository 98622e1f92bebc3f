package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/oidc"
	"github.com/jeton/jeton/postgres/pgtest"
)

const (
	replicaIssuer   = "http://jeton.replicas.test" // both replicas are one issuer behind a load balancer
	replicaCallback = "https://app.example/cb"
	replicaPassword = "correct horse battery staple"
	replicaLimit    = 5 // --lockout-failures
)

// twoReplicas starts two `jeton serve` processes on one fresh PostgreSQL database with
// one key-encryption key and one issuer, as an operator runs replicas behind a load
// balancer; the first migrates the database.
func twoReplicas(t *testing.T) [2]*replica {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	env := []string{"JETON_KEK=" + base64.StdEncoding.EncodeToString([]byte("two replicas share one 32-B key!"))}
	args := []string{"--database", dsn, "--issuer", replicaIssuer, "--argon2-memory", "64", "--argon2-passes", "1",
		"--password-queue", "64", "--lockout-failures", "5"}
	first := startReplica(t, env, append(args, "--migrate")...)
	return [2]*replica{first, startReplica(t, env, args...)}
}

// TestTwoReplicasOnePostgreSQL attacks two serve processes sharing one database: the
// single-use items and the lockout must hold across processes, not only within one,
// because each is one atomic statement in the shared store (DESIGN: single-use items).
func TestTwoReplicasOnePostgreSQL(t *testing.T) {
	start := time.Now()
	rs := twoReplicas(t)
	ctx := context.Background()
	inst, err := rs[0].admin.CreateInstitution(ctx, "First Credit Union")
	if err != nil {
		t.Fatal(err)
	}
	cust, err := rs[0].admin.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: replicaPassword})
	if err != nil {
		t.Fatal(err)
	}
	web := replicaClient(t, rs[0], adminapi.ClientInput{InstitutionID: inst.ID, Name: "web", FirstParty: true,
		Grants: []string{jeton.GrantAuthorizationCode, jeton.GrantRefreshToken}, Scopes: []string{"openid", "offline_access"},
		RedirectURIs: []string{replicaCallback}})
	other := replicaClient(t, rs[0], adminapi.ClientInput{InstitutionID: inst.ID, Name: "other",
		Grants: []string{jeton.GrantAuthorizationCode}, Scopes: []string{"openid"}, RedirectURIs: []string{replicaCallback}})
	pw := replicaClient(t, rs[0], adminapi.ClientInput{InstitutionID: inst.ID, Name: "pw",
		Grants: []string{jeton.GrantPassword, jeton.GrantRefreshToken}, Scopes: []string{"accounts:read"}})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pkj := replicaClient(t, rs[0], adminapi.ClientInput{InstitutionID: inst.ID, Name: "pkj", AuthMethod: jeton.AuthPrivateKey,
		Scopes: []string{"accounts:read"}, PublicKeys: []jeton.ClientKey{{Format: jeton.KeyPEM,
			Data: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}})

	t.Run("code exchange races", func(t *testing.T) { raceCodeExchanges(t, rs, web, other) })
	t.Run("parallel password guesses", func(t *testing.T) { raceLockout(t, rs, pw, inst.ID, cust.ID) })
	t.Run("assertion jti races", func(t *testing.T) { raceAssertions(t, rs, matrixClient{CreatedClient: pkj, key: key}) })
	t.Logf("two replicas: %v", time.Since(start).Round(time.Millisecond))
}

func replicaClient(t *testing.T, r *replica, in adminapi.ClientInput) adminapi.CreatedClient {
	t.Helper()
	c, err := r.admin.CreateClient(context.Background(), in)
	if err != nil {
		t.Fatalf("register %s: %v", in.Name, err)
	}
	return c
}

// answer is one HTTP answer: status and decoded JSON body.
type answer struct {
	status int
	body   map[string]any
}

// send posts form to r's path, with HTTP Basic credentials when id is set.
func (r *replica) send(t *testing.T, path string, form url.Values, id, secret string) answer {
	req, _ := http.NewRequest(http.MethodPost, r.public+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return answer{resp.StatusCode, body}
}

// burst runs n requests at once (released together), request i on replica i%2.
func burst(n int, do func(i int, r *replica) answer, rs [2]*replica) []answer {
	out := make([]answer, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-gate
			out[i] = do(i, rs[i%2])
		})
	}
	close(gate)
	wg.Wait()
	return out
}

func countStatus(as []answer, status int) int {
	n := 0
	for _, a := range as {
		if a.status == status {
			n++
		}
	}
	return n
}

// signInBrowser is a cookie-keeping user agent on one replica that does not follow
// redirects.
type signInBrowser struct {
	r *replica
	c *http.Client
}

func newSignInBrowser(t *testing.T, r *replica) *signInBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &signInBrowser{r, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var replicaCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// code walks the authorization endpoint (signing in when asked) to a fresh code.
func (b *signInBrowser) code(t *testing.T, clientID string) string {
	t.Helper()
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {replicaCallback},
		"scope": {"openid offline_access"}, "state": {"s"}}
	resp, err := b.c.Get(b.r.public + oidc.AuthorizePath + "?" + q.Encode())
	for step := 0; err == nil && resp.StatusCode == http.StatusOK && step < 3; step++ {
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := replicaCSRF.FindSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF field on the page:\n%s", page)
		}
		form := url.Values{"csrf": {string(m[1])}, "username": {"alice"}, "password": {replicaPassword}}
		resp, err = b.c.PostForm(b.r.public+oidc.LoginPath, form)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorization: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// raceCodeExchanges: each round one code is exchanged on both replicas at once, twice
// each (RFC 6749 §4.1.2: a code used twice revokes what it issued). At most one
// exchange succeeds, and since the others are replays, nothing it issued stays alive
// on either replica. A code presented by another client first changes nothing.
func raceCodeExchanges(t *testing.T, rs [2]*replica, web, other adminapi.CreatedClient) {
	browsers := [2]*signInBrowser{newSignInBrowser(t, rs[0]), newSignInBrowser(t, rs[1])}
	const rounds, racers = 40, 4
	won := 0
	for round := range rounds {
		code := browsers[round%2].code(t, web.ClientID)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {replicaCallback}}
		as := burst(racers, func(_ int, r *replica) answer {
			return r.send(t, "/oauth2/token", form, web.ClientID, web.ClientSecret)
		}, rs)
		if ok := countStatus(as, 200); ok > 1 || countStatus(as, 400) != racers-ok {
			t.Fatalf("round %d: %d exchanges of one code succeeded: %v", round, ok, as)
		}
		for _, a := range as {
			if a.status == 200 {
				won++
				assertDead(t, rs, web, a.body)
			} else if a.body["error"] != "invalid_grant" {
				t.Errorf("round %d: replay answered %v", round, a.body)
			}
		}
	}
	t.Logf("%d rounds, %d with one exchange answered 200 (all its tokens dead after the replays)", rounds, won)

	// Another client's presentation is not a replay: the code stays good for its own client.
	code := browsers[0].code(t, web.ClientID)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {replicaCallback}}
	if a := rs[1].send(t, "/oauth2/token", form, other.ClientID, other.ClientSecret); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Fatalf("another client's exchange: %v", a)
	}
	a := rs[0].send(t, "/oauth2/token", form, web.ClientID, web.ClientSecret)
	if a.status != 200 {
		t.Fatalf("own client's exchange after another client's attempt: %v", a)
	}
	for _, r := range rs {
		for _, tok := range []string{"access_token", "refresh_token"} {
			in := r.send(t, "/oauth2/introspect", url.Values{"token": {a.body[tok].(string)}}, web.ClientID, web.ClientSecret)
			if in.body["active"] != true {
				t.Errorf("%s after another client's attempt: %v", tok, in)
			}
		}
	}
}

// assertDead: the tokens of a won exchange introspect inactive on both replicas and the
// refresh token no longer refreshes.
func assertDead(t *testing.T, rs [2]*replica, c adminapi.CreatedClient, issued map[string]any) {
	t.Helper()
	for _, r := range rs {
		for _, tok := range []string{"access_token", "refresh_token"} {
			raw, _ := issued[tok].(string)
			in := r.send(t, "/oauth2/introspect", url.Values{"token": {raw}}, c.ClientID, c.ClientSecret)
			if in.status != 200 || in.body["active"] != false {
				t.Errorf("%s of a replayed code: %v", tok, in)
			}
		}
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {issued["refresh_token"].(string)}}
	if a := rs[1].send(t, "/oauth2/token", refresh, c.ClientID, c.ClientSecret); a.status != 400 {
		t.Errorf("refresh token of a replayed code refreshed: %v", a)
	}
}

// raceLockout fires 50 guesses at once across both replicas, then 50 more with the
// right password among them: exactly the limit of wrong passwords is counted, one lock
// is recorded, and no attempt succeeds once the customer is locked.
func raceLockout(t *testing.T, rs [2]*replica, c adminapi.CreatedClient, instID, custID string) {
	ctx := context.Background()
	guess := func(pass string) func(int, *replica) answer {
		return func(_ int, r *replica) answer {
			form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {pass}}
			return r.send(t, "/oauth2/token", form, c.ClientID, c.ClientSecret)
		}
	}
	if a := guess(replicaPassword)(0, rs[1]); a.status != 200 { // the right password is right
		t.Fatalf("sign-in with the right password: %v", a)
	}
	wrong := burst(50, guess("wrong"), rs)
	if n := countStatus(wrong, 400); n != 50 {
		t.Fatalf("wrong passwords: %d of 50 refused with 400: %v", n, wrong)
	}
	mixed := burst(50, func(i int, r *replica) answer {
		if i%5 == 0 {
			return guess(replicaPassword)(i, r)
		}
		return guess("wrong again")(i, r)
	}, rs)
	if n := countStatus(mixed, 200); n != 0 {
		t.Errorf("%d sign-ins succeeded on a locked customer", n)
	}
	for _, a := range append(wrong, mixed...) {
		if a.status != 400 || a.body["error"] != "invalid_grant" {
			t.Errorf("guess answered %v", a)
		}
	}
	got, err := rs[1].admin.GetCustomer(ctx, instID, custID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FailedAttempts != replicaLimit || got.LockedUntil.IsZero() {
		t.Errorf("after 100 guesses: failed_attempts %d, locked_until %v; want %d and a lock", got.FailedAttempts, got.LockedUntil, replicaLimit)
	}
	page, err := rs[0].admin.ListAudit(ctx, adminapi.AuditQuery{InstitutionID: instID, Action: "customer.locked"})
	events := page.Items
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Errorf("%d customer.locked events, want 1: %+v", len(events), events)
	}
}

// raceAssertions sends one private_key_jwt assertion to both replicas at once, ten
// times each (RFC 7523 §3 item 7: a jti is single-use): exactly one request gets a token.
func raceAssertions(t *testing.T, rs [2]*replica, c matrixClient) {
	c.method = jeton.AuthPrivateKey
	for round := range 5 {
		form := url.Values{"grant_type": {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {c.assertion(t, replicaIssuer+"/oauth2/token")}}
		as := burst(20, func(_ int, r *replica) answer { return r.send(t, "/oauth2/token", form, "", "") }, rs)
		if ok, refused := countStatus(as, 200), countStatus(as, 401); ok != 1 || refused != 19 {
			t.Errorf("round %d: one assertion 20 times: %d × 200, %d × 401: %v", round, ok, refused, as)
		}
	}
}

// TestReplicasStartTogether: two replicas started at the same moment on a migrated,
// empty database (an orchestrator starting a deployment) sign with keys the other
// publishes at once, so a token from either introspects active on both and verifies
// against either's JWKS without waiting for --key-reload-interval.
func TestReplicasStartTogether(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	if _, errOut, err := runCLI(t, "", "migrate", "--database", dsn); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut)
	}
	env := []string{"JETON_KEK=" + base64.StdEncoding.EncodeToString([]byte("two replicas share one 32-B key!"))}
	args := []string{"--database", dsn, "--issuer", replicaIssuer, "--key-reload-interval", "1h"}
	wait := [2]func(*testing.T) *replica{spawnReplica(t, env, args...), spawnReplica(t, env, args...)}
	rs := [2]*replica{wait[0](t), wait[1](t)}
	ctx := context.Background()
	inst, err := rs[0].admin.CreateInstitution(ctx, "First Credit Union")
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"ES256", "RS256", "PS256", "EdDSA"} {
		c := replicaClient(t, rs[0], adminapi.ClientInput{InstitutionID: inst.ID, Name: alg, SigningAlg: alg, Scopes: []string{"accounts:read"}})
		for i, r := range rs {
			tok := r.send(t, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, c.ClientID, c.ClientSecret)
			if tok.status != 200 {
				t.Fatalf("%s token from replica %d: %v", alg, i, tok)
			}
			other := rs[1-i]
			in := other.send(t, "/oauth2/introspect", url.Values{"token": {tok.body["access_token"].(string)}}, c.ClientID, c.ClientSecret)
			if in.body["active"] != true {
				t.Errorf("%s token from replica %d is %v on the other", alg, i, in.body)
			}
			verifyAccessToken(t, tok.body["access_token"].(string), fetchJWKSFrom(t, other.public), jose.SignatureAlgorithm(alg))
		}
	}
	keys, err := rs[1].admin.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 {
		t.Errorf("%d signing keys after two first starts, want one per alg (4): %+v", len(keys), keys)
	}
}

// fetchJWKSFrom reads the JWKS of the replica at base (discovery names the shared
// issuer, which no test can reach).
func fetchJWKSFrom(t *testing.T, base string) jose.JSONWebKeySet {
	t.Helper()
	var set jose.JSONWebKeySet
	getJSON(t, base+"/.well-known/jwks.json", &set)
	return set
}

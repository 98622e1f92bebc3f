package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/oidc"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/sqlite"
)

// crashClients are the clients the crash workload uses.
type crashClients struct {
	opaque, jwt adminapi.CreatedClient // client_credentials, opaque and JWT access tokens
	web         adminapi.CreatedClient // authorization_code + refresh_token
}

// chain is one authorization code's refresh chain as its client knows it.
type chain struct {
	access, refresh string // what the client last received
	uses            int    // refreshes so far
}

// outcome is one request as the client saw it.
type outcome struct {
	id     string // X-Request-Id, unique per request
	status int    // 0: no answer
	err    error
}

// worker is one goroutine of the workload with its own connection and memory of what
// it received.
type worker struct {
	name   string
	hc     *http.Client
	base   string // the public URL of the server it talks to
	n      int
	opaque bool // a client_credentials worker's client issues opaque tokens

	lastCC   string   // client_credentials: the access token last received
	chains   []*chain // code workers: every chain started, in order
	stored   []string // every answered token that must have a row: opaque access and refresh tokens
	outcomes []outcome
	failure  error        // an answer that is not a token
	answers  atomic.Int64 // requests answered
}

func newWorker(name, base string, opaque bool) *worker {
	jar, _ := cookiejar.New(nil)
	return &worker{name: name, base: base, opaque: opaque, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// post sends form to path with c's credentials and a request id of its own. It
// returns the answer, or an error when none came (or it came cut short).
func (w *worker) post(path string, form url.Values, c adminapi.CreatedClient) (answer, error) {
	w.n++
	o := outcome{id: fmt.Sprintf("%s-%d", w.name, w.n)}
	a, err := func() (answer, error) {
		req, _ := http.NewRequest(http.MethodPost, w.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Request-Id", o.id)
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
		resp, err := w.hc.Do(req)
		if err != nil {
			return answer{}, err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return answer{}, fmt.Errorf("answer %d cut short: %w", resp.StatusCode, err)
		}
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			return answer{}, fmt.Errorf("answer %d is not JSON: %q", resp.StatusCode, raw)
		}
		return answer{resp.StatusCode, body}, nil
	}()
	o.status, o.err = a.status, err
	w.outcomes = append(w.outcomes, o)
	if err == nil {
		w.answers.Add(1)
	}
	if err == nil && a.status != 200 && w.failure == nil {
		w.failure = fmt.Errorf("%s: %v", o.id, a)
	}
	return a, err
}

// ccLoop asks for client_credentials tokens until stop or the first request without
// an answer.
func (w *worker) ccLoop(c adminapi.CreatedClient, stop <-chan struct{}) {
	for !stopped(stop) {
		a, err := w.post("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, c)
		if err != nil || a.status != 200 {
			return
		}
		w.lastCC = a.body["access_token"].(string)
		if w.opaque {
			w.stored = append(w.stored, w.lastCC)
		}
	}
}

// codeLoop starts a chain with an authorization code (the browser signed in earlier),
// refreshes it four times, and starts the next, until stop or the first request
// without an answer.
func (w *worker) codeLoop(web adminapi.CreatedClient, stop <-chan struct{}) {
	for !stopped(stop) {
		cur := w.current()
		if cur != nil && cur.uses < 4 {
			if a, err := w.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cur.refresh}}, web); err != nil || a.status != 200 {
				return
			} else {
				cur.access, cur.refresh, cur.uses = a.body["access_token"].(string), a.body["refresh_token"].(string), cur.uses+1
				w.stored = append(w.stored, cur.refresh)
			}
			continue
		}
		code, err := w.authorize(web.ClientID)
		if err != nil {
			return
		}
		a, err := w.post("/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {replicaCallback}}, web)
		if err != nil || a.status != 200 {
			return
		}
		w.chains = append(w.chains, &chain{access: a.body["access_token"].(string), refresh: a.body["refresh_token"].(string)})
		w.stored = append(w.stored, w.current().refresh)
	}
}

func (w *worker) current() *chain {
	if len(w.chains) == 0 {
		return nil
	}
	return w.chains[len(w.chains)-1]
}

// authorize walks the authorization endpoint to a fresh code, signing in when asked.
func (w *worker) authorize(clientID string) (string, error) {
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {replicaCallback},
		"scope": {"openid offline_access"}, "state": {"s"}}
	resp, err := w.hc.Get(w.base + oidc.AuthorizePath + "?" + q.Encode())
	for step := 0; err == nil && resp.StatusCode == http.StatusOK && step < 3; step++ {
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := replicaCSRF.FindSubmatch(page)
		if m == nil {
			return "", fmt.Errorf("no CSRF field on the page: %s", page)
		}
		resp, err = w.hc.PostForm(w.base+oidc.LoginPath, url.Values{"csrf": {string(m[1])}, "username": {"alice"}, "password": {replicaPassword}})
	}
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" {
		if w.failure == nil {
			w.failure = fmt.Errorf("authorization: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return "", errors.New("no code")
	}
	return loc.Query().Get("code"), nil
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// workload is the crash test's load: client_credentials workers (two opaque, two JWT)
// and code workers (code exchange, then refreshes).
type workload struct {
	cc, code []*worker
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newWorkload(base string, codeWorkers int) *workload {
	l := &workload{stop: make(chan struct{})}
	for i := range 4 {
		l.cc = append(l.cc, newWorker(fmt.Sprintf("cc%d", i), base, i%2 == 0))
	}
	for i := range codeWorkers {
		l.code = append(l.code, newWorker(fmt.Sprintf("code%d", i), base, false))
	}
	return l
}

// retarget points every worker at base (a restarted server), on new connections, and
// forgets the outcomes and the count.
func (l *workload) retarget(base string) {
	for _, w := range l.all() {
		w.base, w.outcomes, w.failure, w.hc.Transport = base, nil, nil, &http.Transport{}
		w.answers.Store(0)
	}
	l.stop = make(chan struct{})
}

// run starts the workers and returns, leaving them running, once each got n answers
// (a code worker's are code exchanges and refreshes), failing after a minute.
func (l *workload) run(t *testing.T, cs crashClients, n int64) {
	t.Helper()
	l.start(cs)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		slowest := int64(math.MaxInt64)
		for _, w := range l.all() {
			slowest = min(slowest, w.answers.Load())
		}
		if slowest >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a worker got only %d answers in a minute", slowest)
		}
	}
}

// answered counts the requests answered.
func (l *workload) answered() int64 {
	var n int64
	for _, w := range l.all() {
		n += w.answers.Load()
	}
	return n
}

func (l *workload) all() []*worker { return append(append([]*worker{}, l.cc...), l.code...) }

func (l *workload) start(cs crashClients) {
	for _, w := range l.cc {
		c := cs.jwt
		if w.opaque {
			c = cs.opaque
		}
		l.wg.Go(func() { w.ccLoop(c, l.stop) })
	}
	for _, w := range l.code {
		l.wg.Go(func() { w.codeLoop(cs.web, l.stop) })
	}
}

// end stops the workers and waits for them; every answer they got must have been a
// token.
func (l *workload) end(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	for _, w := range l.all() {
		if w.failure != nil {
			t.Errorf("worker %s: %v", w.name, w.failure)
		}
	}
}

// crashSetup registers the workload's clients and a customer on s.
func crashSetup(t *testing.T, s *replica) crashClients {
	t.Helper()
	ctx := context.Background()
	inst, err := s.admin.CreateInstitution(ctx, "Crash Savings")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: replicaPassword}); err != nil {
		t.Fatal(err)
	}
	return crashClients{
		opaque: replicaClient(t, s, adminapi.ClientInput{InstitutionID: inst.ID, Name: "opaque", TokenFormat: jeton.FormatOpaque, Scopes: []string{"accounts:read"}}),
		jwt:    replicaClient(t, s, adminapi.ClientInput{InstitutionID: inst.ID, Name: "jwt", Scopes: []string{"accounts:read"}}),
		web: replicaClient(t, s, adminapi.ClientInput{InstitutionID: inst.ID, Name: "web", FirstParty: true,
			Grants: []string{jeton.GrantAuthorizationCode, jeton.GrantRefreshToken}, Scopes: []string{"openid", "offline_access"},
			RedirectURIs: []string{replicaCallback}}),
	}
}

// checkLastTokens: on s (a restarted server), every token each client last received
// works. Access tokens verify against s's JWKS (JWTs) and introspect active; the last
// refresh token of every chain refreshes (a chain whose last refresh was cut by the
// crash before its answer presents the token the client still holds: within the
// grace it gets the successor it never received, FAPI 2.0 §5.3.2.1). The chains move
// on to the tokens of these refreshes.
func checkLastTokens(t *testing.T, s *replica, l *workload, cs crashClients) {
	t.Helper()
	set := fetchJWKSFrom(t, s.public)
	live := func(c adminapi.CreatedClient, tok, what string) {
		if strings.Count(tok, ".") == 2 {
			verifyAccessToken(t, tok, set, jose.ES256)
		}
		if !active(t, s, c, tok) {
			t.Errorf("%s is not active after the restart", what)
		}
	}
	for _, w := range l.cc {
		c := cs.jwt
		if w.opaque {
			c = cs.opaque
		}
		live(c, w.lastCC, w.name+"'s last access token")
	}
	chains := 0
	for _, w := range l.code {
		for i, ch := range w.chains {
			what := fmt.Sprintf("%s's chain %d", w.name, i)
			live(cs.web, ch.access, what+": last access token")
			a := s.send(t, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ch.refresh}}, cs.web.ClientID, cs.web.ClientSecret)
			if a.status != 200 {
				t.Errorf("%s: the last refresh token does not refresh: %v", what, a)
				continue
			}
			ch.access, ch.refresh = a.body["access_token"].(string), a.body["refresh_token"].(string)
			w.stored = append(w.stored, ch.refresh)
			chains++
		}
	}
	t.Logf("after the restart: %d client_credentials tokens live, %d chains refresh", len(l.cc), chains)
}

// crashStore opens the store of a stopped server directly, as the test's own reader.
type crashStore struct {
	name  string
	args  []string // serve's flags for it
	open  func(t *testing.T) jeton.Store
	check func(t *testing.T, s jeton.Store) // the store's own consistency check, if any
}

// checkStored: every token answered with a row of its own (opaque access tokens,
// refresh tokens) is in the store, and the store's own check passes.
func checkStored(t *testing.T, cs crashStore, l *workload) {
	t.Helper()
	ctx := context.Background()
	s := cs.open(t)
	defer s.Close()
	if cs.check != nil {
		cs.check(t, s)
	}
	n := 0
	for _, w := range l.all() {
		for _, tok := range w.stored {
			var err error
			if w.opaque {
				_, err = s.GetAccessToken(ctx, jeton.Digest(tok))
			} else {
				_, _, err = s.GetRefreshToken(ctx, jeton.RefreshTokenKey(tok))
			}
			if err != nil {
				t.Errorf("%s: a token it was answered is not in the store: %v", w.name, err)
			}
			n++
		}
	}
	t.Logf("%s: all %d answered opaque access and refresh tokens are in the store", cs.name, n)
}

// crashAndDrain proves issue 15 part 6 on one store: a serve process killed with
// SIGKILL under load loses nothing it answered, and one stopped with SIGTERM under load
// answers every request it accepted and exits 0 within --shutdown-timeout.
func crashAndDrain(t *testing.T, cs crashStore) {
	dir := t.TempDir()
	args := append([]string{"--issuer", replicaIssuer, "--argon2-memory", "64", "--argon2-passes", "1",
		"--shutdown-timeout", drainTimeout.String()}, cs.args...)
	s := spawnReplicaIn(t, dir, nil, args...)(t)
	clients := crashSetup(t, s)
	l := newWorkload(s.public, 4)

	// SIGKILL mid-load: nothing runs after it, so only what was committed before an
	// answer survives.
	l.run(t, clients, 30)
	s.kill()
	l.end(t)
	t.Logf("%s: killed after %d answers", cs.name, l.answered())
	checkStored(t, cs, l)
	s = spawnReplicaIn(t, dir, nil, args...)(t)
	checkLastTokens(t, s, l, clients)

	// SIGTERM mid-load: the drain.
	l.retarget(s.public)
	l.run(t, clients, 20)
	drain(t, s, l, clients)
	checkStored(t, cs, l)
	s = spawnReplicaIn(t, dir, nil, args...)(t)
	checkLastTokens(t, s, l, clients)
}

// drainTimeout is the test servers' --shutdown-timeout.
const drainTimeout = 5 * time.Second

// drain sends SIGTERM to s while l runs and while three requests are pinned half sent
// (the server is reading them: they are in flight for certain). The pinned requests
// get their tokens after the signal; every request the server answered (its access
// log line, by X-Request-Id) reached its client whole; a request that got no answer
// was never handled; the process exits 0 within drainTimeout.
func drain(t *testing.T, s *replica, l *workload, cs crashClients) {
	t.Helper()
	var pinned []func() int
	for i := range 3 {
		pinned = append(pinned, pin(t, s, cs.opaque, fmt.Sprintf("pinned-%d", i)))
	}
	time.Sleep(100 * time.Millisecond) // the server is now reading them
	signalled := time.Now()
	if err := s.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case <-s.exited:
		t.Fatalf("the server exited with requests in flight: %v", s.err)
	default:
	}
	for i, finish := range pinned {
		if status := finish(); status != 200 {
			t.Errorf("in-flight request %d sent across the SIGTERM: %d", i, status)
		}
	}
	select {
	case <-s.exited:
	case <-time.After(drainTimeout + 5*time.Second):
		t.Fatalf("still running %v after SIGTERM", time.Since(signalled))
	}
	took := time.Since(signalled)
	l.end(t)
	if s.err != nil || took > drainTimeout {
		t.Errorf("after SIGTERM: exit %v after %v, want exit 0 within %v", s.err, took, drainTimeout)
	}
	handled := accessLog(t, s.logs.String())
	answered, unanswered := 0, map[string]int{}
	for _, w := range l.all() {
		for _, o := range w.outcomes {
			status, logged := handled[o.id]
			switch {
			case o.err != nil && logged:
				t.Errorf("%s was handled (%d) but its client got no whole answer: %v", o.id, status, o.err)
			case o.err != nil:
				unanswered[errKind(o.err)]++
			case !logged || status != o.status:
				t.Errorf("%s: the client got %d, the server logged %d (logged: %v)", o.id, o.status, status, logged)
			default:
				answered++
			}
		}
	}
	t.Logf("SIGTERM under load: exit 0 after %v; %d requests answered whole; never handled and unanswered: %v",
		took.Round(time.Millisecond), answered, unanswered)
}

// errKind names why a request got no answer, for the log.
func errKind(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (listener closed)"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), strings.Contains(err.Error(), "server closed idle connection"):
		return "kept-alive connection closed before the request was read"
	}
	return err.Error()
}

// pin sends c's client_credentials request on a connection of its own, all but the
// last bytes of its body; finish sends the rest and returns the answer's status.
func pin(t *testing.T, s *replica, c adminapi.CreatedClient, id string) (finish func() int) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.public, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req, _ := http.NewRequest(http.MethodPost, s.public+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Request-Id", id)
	req.SetBasicAuth(c.ClientID, c.ClientSecret)
	var raw strings.Builder
	_ = req.Write(&raw)
	split := raw.Len() - 10
	if _, err := conn.Write([]byte(raw.String()[:split])); err != nil {
		t.Fatal(err)
	}
	return func() int {
		if _, err := conn.Write([]byte(raw.String()[split:])); err != nil {
			t.Errorf("%s: %v", id, err)
			return 0
		}
		resp, err := http.ReadResponse(bufioReader(conn), req)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			return 0
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body["access_token"] == nil {
			t.Errorf("%s: answer %d without a token: %v %v", id, resp.StatusCode, body, err)
		}
		return resp.StatusCode
	}
}

// accessLog maps the request id of every access-log line ("request") to its status.
func accessLog(t *testing.T, logs string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, line := range strings.Split(logs, "\n") {
		var l struct {
			Msg    string `json:"msg"`
			ID     string `json:"request_id"`
			Status int    `json:"status"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "request" {
			out[l.ID] = l.Status
		}
	}
	return out
}

// TestCrashAndDrainSQLite: issue 15 part 6 on the embedded SQLite store, whose file must
// also pass PRAGMA integrity_check after the crash.
func TestCrashAndDrainSQLite(t *testing.T) {
	var path string
	crashAndDrain(t, crashStore{
		name: "sqlite",
		open: func(t *testing.T) jeton.Store {
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		check: func(t *testing.T, s jeton.Store) {
			var check string
			if err := s.(*sqlite.Store).DB().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
				t.Errorf("PRAGMA integrity_check: %q, %v", check, err)
			}
		},
		args: func() []string { path = filepath.Join(t.TempDir(), "jeton.db"); return []string{"--database", path} }(),
	})
}

// TestCrashAndDrainPostgreSQL: issue 15 part 6 on PostgreSQL.
func TestCrashAndDrainPostgreSQL(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	crashAndDrain(t, crashStore{
		name: "postgres",
		args: []string{"--database", dsn, "--migrate"},
		open: func(t *testing.T) jeton.Store {
			s, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	})
}

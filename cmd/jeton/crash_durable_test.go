package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/postgres/pgtest"
)

// A token answered 200 must survive the server's death: every write it rests on (an
// assertion's replay record, a refresh rotation, a new family) is committed before the
// answer, and on SQLite the commit is on disk (synchronous=FULL in WAL mode; sqlite's
// TestWriterIsDurable) before the committer answers. These tests kill `jeton serve`
// with SIGKILL in the middle of a write load, start it again on the same database, and
// check every answered write: each answered assertion is refused as a replay, and the
// last answered refresh token of each chain is still good. SIGKILL leaves the kernel's
// page cache in place, so it proves the ordering (never an answer before the commit)
// rather than the fsync itself; the fsync is the writer's configuration, which the
// sqlite test checks.
func TestSIGKILLKeepsAnsweredWritesSQLite(t *testing.T) {
	crashAndCheck(t, nil)
}

func TestSIGKILLKeepsAnsweredWritesPostgreSQL(t *testing.T) {
	crashAndCheck(t, []string{"--database", pgtest.NewDatabase(t), "--migrate"})
}

// crashLoad is what the load got answered before the kill.
type crashLoad struct {
	mu         sync.Mutex
	assertions []string // answered 200: each must be a replay now
	chains     []string // per refresh chain, the last token answered 200
}

func crashAndCheck(t *testing.T, args []string) {
	dir := t.TempDir()
	args = append([]string{"--argon2-memory", "64", "--argon2-passes", "1", "--ratelimit-address", "0", "--ratelimit-client", "0",
		"--ratelimit-failed-auth-address", "0", "--ratelimit-failed-auth-client", "0"}, args...)
	r := spawnReplicaIn(t, dir, nil, args...)(t)
	ctx := context.Background()
	inst, err := r.admin.CreateInstitution(ctx, "Crash Bank")
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pk := replicaClient(t, r, adminapi.ClientInput{InstitutionID: inst.ID, Name: "pk", AuthMethod: jeton.AuthPrivateKey,
		Scopes: []string{"accounts:read"}, PublicKeys: []jeton.ClientKey{{Format: jeton.KeyPEM,
			Data: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}})
	pw := replicaClient(t, r, adminapi.ClientInput{InstitutionID: inst.ID, Name: "pw",
		Grants: []string{jeton.GrantPassword, jeton.GrantRefreshToken}, Scopes: []string{"accounts:read"}})
	if _, err := r.admin.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: replicaPassword}); err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertion := func() string {
		now := time.Now()
		a, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: pk.ClientID, Subject: pk.ClientID,
			Audience: jwt.Audience{r.public + "/oauth2/token"}, IssuedAt: jwt.NewNumericDate(now),
			Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), ID: jeton.NewID()}).Serialize()
		if err != nil {
			t.Error(err)
		}
		return a
	}

	// Each refresh chain starts from a password grant.
	const chains = 6
	load := &crashLoad{chains: make([]string, chains)}
	for i := range chains {
		a := postCrash(r.public, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {replicaPassword},
			"scope": {"accounts:read"}}, pw)
		if a.status != http.StatusOK {
			t.Fatalf("password grant: %d %v", a.status, a.body)
		}
		load.chains[i] = a.body["refresh_token"].(string)
	}

	// The load: assertions and rotations from 12 goroutines until the kill.
	var stop atomic.Bool
	var answered atomic.Int64
	var wg sync.WaitGroup
	for i := range 2 * chains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if i < chains {
					a := assertion()
					if postCrash(r.public, pkForm(a), adminapi.CreatedClient{}).status == http.StatusOK {
						load.mu.Lock()
						load.assertions = append(load.assertions, a)
						load.mu.Unlock()
						answered.Add(1)
					}
					continue
				}
				c := i - chains
				a := postCrash(r.public, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {load.chain(c)}}, pw)
				if a.status == http.StatusOK {
					load.setChain(c, a.body["refresh_token"].(string))
					answered.Add(1)
				}
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for answered.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r.kill() // requests in flight now fail; their outcome is unknown and not checked
	stop.Store(true)
	wg.Wait()
	if answered.Load() < 300 {
		t.Fatalf("only %d writes answered before the kill", answered.Load())
	}

	again := spawnReplicaIn(t, dir, nil, args...)(t)
	// Before the stop (cleanups run last first): a connection the pool dialled for a
	// burst and never used is new to the server, and http.Server.Shutdown waits 5 s for
	// it to send a request, longer than the 2 s shutdown timeout these replicas get.
	t.Cleanup(crashHTTP.CloseIdleConnections)
	checkAnswered(t, again, load, pw)
	t.Logf("%d assertions and %d refresh chains answered before SIGKILL, all found after the restart", len(load.assertions), chains)
}

// checkAnswered checks, on the restarted server, every write the killed one answered.
func checkAnswered(t *testing.T, r *replica, load *crashLoad, pw adminapi.CreatedClient) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(load.assertions); i = int(next.Add(1)) - 1 {
				a := postCrash(r.public, pkForm(load.assertions[i]), adminapi.CreatedClient{})
				if a.status != http.StatusUnauthorized || a.body["error"] != "invalid_client" {
					t.Errorf("assertion %d answered 200 before the kill is not recorded: now %d %v", i, a.status, a.body)
				}
			}
		}()
	}
	wg.Wait()
	for i, tok := range load.chains {
		a := postCrash(r.public, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}}, pw)
		if a.status != http.StatusOK {
			t.Errorf("chain %d: the last refresh token answered before the kill fails after it: %d %v", i, a.status, a.body)
		}
	}
}

func (l *crashLoad) chain(i int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.chains[i]
}

func (l *crashLoad) setChain(i int, tok string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.chains[i] = tok
}

func pkForm(assertion string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "scope": {"accounts:read"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
}

// postCrash posts form to the token endpoint (Basic credentials when c has an id); a
// request the kill cut off is status 0.
func postCrash(base string, form url.Values, c adminapi.CreatedClient) answer {
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.ClientID != "" {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	resp, err := crashHTTP.Do(req)
	if err != nil {
		return answer{}
	}
	defer resp.Body.Close()
	var a answer
	a.status = resp.StatusCode
	_ = json.NewDecoder(resp.Body).Decode(&a.body)
	return a
}

// crashHTTP keeps its own connections: the kill breaks them, and http.DefaultClient's
// pool is shared with other tests.
var crashHTTP = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

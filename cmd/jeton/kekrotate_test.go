package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/postgres/pgtest"
)

var (
	kekOld = bytes.Repeat([]byte("old-kek!"), 4) // 32 bytes each
	kekNew = bytes.Repeat([]byte("new-kek!"), 4)
)

func kekEnv(current []byte, previous ...[]byte) []string {
	env := []string{"JETON_KEK=" + base64.StdEncoding.EncodeToString(current), "JETON_PREVIOUS_KEK="}
	for _, p := range previous {
		env[1] += base64.StdEncoding.EncodeToString(p) + ","
	}
	return env
}

// runJetonEnv runs the jeton binary (this test binary, see TestMain) to its end and
// returns its combined output.
func runJetonEnv(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), runMainEnv+"=1", "JETON_CONFIG="), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestKEKRotationOnline: servers sealing under the old KEK are restarted with the new
// KEK (the old one as previous); `jeton kek rotate`, a process of its own, re-seals
// every signing key and client secret while they serve tokens (client_secret_basic and
// client_secret_jwt, whose HS256 check opens the sealed secret) and while an admin
// registers and rotates client_secret_jwt secrets: no request fails and every token
// verifies. Then a server with the new KEK alone serves everything, and one with the
// old KEK alone refuses to start, naming the KEK it lacks. On SQLite (one server beside
// the command) and PostgreSQL (two replicas).
func TestKEKRotationOnline(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testKEKRotationOnline(t, filepath.Join(t.TempDir(), "jeton.db"), 1)
	})
	t.Run("postgres", func(t *testing.T) {
		testKEKRotationOnline(t, pgtest.NewDatabase(t), 2)
	})
}

func testKEKRotationOnline(t *testing.T, database string, replicas int) {
	ctx := context.Background()
	args := []string{"--database", database, "--issuer", replicaIssuer, "--key-reload-interval", "1s", "--client-cache-ttl", "1s"}
	old := startReplica(t, kekEnv(kekOld), append(args, "--migrate")...)
	inst, err := old.admin.CreateInstitution(ctx, "First Credit Union")
	if err != nil {
		t.Fatal(err)
	}
	basic := replicaClient(t, old, adminapi.ClientInput{InstitutionID: inst.ID, Name: "basic", Scopes: []string{"accounts:read"}})
	hs := replicaClient(t, old, adminapi.ClientInput{InstitutionID: inst.ID, Name: "hs256", AuthMethod: jeton.AuthSecretJWT, Scopes: []string{"accounts:read"}})
	// A secret rotation leaves the previous secret sealed too, within its grace.
	rotated := replicaClient(t, old, adminapi.ClientInput{InstitutionID: inst.ID, Name: "rotated", AuthMethod: jeton.AuthSecretJWT, Scopes: []string{"accounts:read"}})
	oldSecret := rotated.ClientSecret
	if rotated, err = old.admin.RotateSecret(ctx, rotated.ClientID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := old.admin.RotateKey(ctx, "ES256"); err != nil {
		t.Fatal(err)
	}
	// Enough sealed values that the command runs for a while: clients whose current
	// and previous secrets are sealed.
	var seeded []adminapi.CreatedClient
	for i := range 40 {
		c := replicaClient(t, old, adminapi.ClientInput{InstitutionID: inst.ID, Name: fmt.Sprintf("seeded-%d", i), AuthMethod: jeton.AuthSecretJWT, Scopes: []string{"accounts:read"}})
		if c, err = old.admin.RotateSecret(ctx, c.ClientID, time.Hour); err != nil {
			t.Fatal(err)
		}
		seeded = append(seeded, c)
	}
	before := ccToken(t, old, basic)
	// A running server without the new KEK stops the command before it writes.
	out, err := runJetonEnv(t, kekEnv(kekNew, kekOld), "kek", "rotate", "--database", database)
	if err == nil || !strings.Contains(out, "does not hold the current key-encryption key "+keys.KEKID(kekNew)) ||
		!strings.Contains(out, "holds "+keys.KEKID(kekOld)) {
		t.Fatalf("kek rotate beside a server without the new KEK: %v, want a refusal naming it:\n%s", err, out)
	}
	if out, err := runJetonEnv(t, kekEnv(kekOld), "kek", "status", "--database", database); err != nil ||
		!strings.Contains(out, "every sealed value is under the current KEK "+keys.KEKID(kekOld)) {
		t.Fatalf("the refused rotation changed something: %v\n%s", err, out)
	}
	if err := old.stop(t); err != nil {
		t.Fatal(err)
	}

	var rs []*replica
	for range replicas {
		rs = append(rs, startReplica(t, kekEnv(kekNew, kekOld), args...))
	}
	withOldSecret := rotated
	withOldSecret.ClientSecret = oldSecret // within the rotation's grace: the previous sealed secret
	load := startTokenLoad(t, rs, []adminapi.CreatedClient{basic, hs, rotated, withOldSecret, seeded[0], seeded[1]},
		hs.ClientID, rotated.ClientID, seeded[0].ClientID, seeded[1].ClientID)
	// An admin keeps writing sealed values through the servers while the command runs:
	// new clients, and new secrets of clients the command is re-sealing.
	var written []adminapi.CreatedClient
	adminDone := make(chan struct{})
	stopAdmin := make(chan struct{})
	go func() {
		defer close(adminDone)
		for i := 0; ; i++ {
			select {
			case <-stopAdmin:
				return
			default:
			}
			c, err := rs[i%len(rs)].admin.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: fmt.Sprintf("new-%d", i),
				AuthMethod: jeton.AuthSecretJWT, Scopes: []string{"accounts:read"}})
			if err != nil {
				t.Errorf("admin create during the rotation: %v", err)
				return
			}
			if c, err = rs[(i+1)%len(rs)].admin.RotateSecret(ctx, c.ClientID, time.Hour); err != nil {
				t.Errorf("admin secret rotation during the rotation: %v", err)
				return
			}
			written = append(written, c)
			if j := len(seeded) - 1 - i; j >= 2 {
				if seeded[j], err = rs[i%len(rs)].admin.RotateSecret(ctx, seeded[j].ClientID, time.Hour); err != nil {
					t.Errorf("admin secret rotation during the rotation: %v", err)
					return
				}
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)

	out, err = runJetonEnv(t, kekEnv(kekNew, kekOld), "kek", "rotate", "--database", database)
	if err != nil {
		t.Fatalf("jeton kek rotate: %v\n%s", err, out)
	}
	if !strings.Contains(out, "every sealed value is under the current KEK "+keys.KEKID(kekNew)) {
		t.Errorf("jeton kek rotate output:\n%s", out)
	}
	t.Logf("jeton kek rotate:\n%s", out)
	time.Sleep(500 * time.Millisecond) // serving on after the command, with every replica's reload
	close(stopAdmin)
	<-adminDone
	load.stop(t)

	// Values written by the servers during the run were sealed under the new KEK.
	out, err = runJetonEnv(t, kekEnv(kekNew), "kek", "status", "--database", database)
	if err != nil || !strings.Contains(out, "every sealed value is under the current KEK "+keys.KEKID(kekNew)) {
		t.Fatalf("jeton kek status with the new KEK alone: %v\n%s", err, out)
	}
	for _, r := range rs {
		if err := r.stop(t); err != nil {
			t.Fatal(err)
		}
	}

	// Restart with the new KEK alone: everything opens.
	fresh := startReplica(t, kekEnv(kekNew), args...)
	for _, c := range append(append([]adminapi.CreatedClient{basic, hs, rotated}, written...), seeded...) {
		if _, err := tokenFor(fresh, c, c.ClientID != basic.ClientID); err != nil {
			t.Errorf("client %s after a restart with the new KEK alone: %v", c.ClientID, err)
		}
	}
	if !verifies(t, before, fresh) {
		t.Error("a token signed before the rotation does not verify after the restart")
	}
	if err := fresh.stop(t); err != nil {
		t.Fatal(err)
	}

	// The old KEK alone is refused at start, with the KEK it lacks named.
	out, err = runJetonEnv(t, kekEnv(kekOld), append([]string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0",
		"--data-dir", t.TempDir()}, args...)...)
	want := "sealed under key-encryption key " + keys.KEKID(kekNew) + ", which is not configured (configured: " + keys.KEKID(kekOld) + ")"
	if err == nil || !strings.Contains(out, want) || !strings.Contains(out, "wrong key-encryption key") {
		t.Fatalf("serve with the old KEK alone: %v, want a start failure naming the missing KEK:\n%s", err, out)
	}
}

// tokenLoad requests client_credentials tokens from every replica until stopped and
// verifies each against the JWKS of another replica.
type tokenLoad struct {
	quit   chan struct{}
	wg     sync.WaitGroup
	ok     atomic.Int64
	mu     sync.Mutex
	failed []string
}

func startTokenLoad(t *testing.T, rs []*replica, clients []adminapi.CreatedClient, assertionClients ...string) *tokenLoad {
	t.Helper()
	l := &tokenLoad{quit: make(chan struct{})}
	jwt := map[string]bool{}
	for _, id := range assertionClients {
		jwt[id] = true
	}
	for w := range 2 * len(rs) {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.quit:
					return
				default:
				}
				c := clients[(w+i)%len(clients)]
				r, v := rs[(w+i)%len(rs)], rs[(w+i+1)%len(rs)]
				tok, err := tokenFor(r, c, jwt[c.ClientID])
				if err == nil {
					err = verifyWith(tok, v)
				}
				if err != nil {
					l.mu.Lock()
					l.failed = append(l.failed, fmt.Sprintf("%s via %s: %v", c.ClientID, r.public, err))
					l.mu.Unlock()
					continue
				}
				l.ok.Add(1)
			}
		})
	}
	return l
}

func (l *tokenLoad) stop(t *testing.T) {
	t.Helper()
	close(l.quit)
	l.wg.Wait()
	if len(l.failed) > 0 {
		t.Errorf("%d of %d token requests failed during the KEK rotation; first: %s", len(l.failed), len(l.failed)+int(l.ok.Load()), l.failed[0])
	}
	if l.ok.Load() < 20 {
		t.Errorf("only %d tokens served during the KEK rotation", l.ok.Load())
	}
	t.Logf("%d tokens served and verified during the KEK rotation", l.ok.Load())
}

// tokenFor gets a client_credentials token for c from r: with an HS256 client
// assertion (client_secret_jwt) when assertion is set, else with HTTP Basic.
func tokenFor(r *replica, c adminapi.CreatedClient, assertion bool) (string, error) {
	if !assertion {
		return tokenErr(r, c)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(c.ClientSecret)}, nil)
	if err != nil {
		return "", err
	}
	now := time.Now()
	raw, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: c.ClientID, Subject: c.ClientID, Audience: jwt.Audience{replicaIssuer + oauth2.TokenPath},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)), ID: jeton.NewID()}).Serialize()
	if err != nil {
		return "", err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_assertion": {raw},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
	resp, err := http.PostForm(r.public+oauth2.TokenPath, form)
	if err != nil {
		return "", err
	}
	return accessToken(resp)
}

// verifyWith checks raw's signature against r's JWKS.
func verifyWith(raw string, r *replica) error {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA})
	if err != nil {
		return err
	}
	resp, err := http.Get(r.public + oauth2.JWKSPath)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return err
	}
	ks := set.Key(tok.Headers[0].KeyID)
	if len(ks) != 1 {
		return fmt.Errorf("kid %s not in the JWKS of %s", tok.Headers[0].KeyID, r.public)
	}
	var claims jwt.Claims
	return tok.Claims(ks[0].Key, &claims)
}

// The write-path benchmark covers CardCore among the grants, so its file carries the
// vendor's prefix: the vendor-removal proof deletes it with the CardCore module.

package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/dialect/cardcore"
	"github.com/jeton/jeton/postgres/pgtest"
)

// BenchmarkWriteGrants runs the grants that write (issue 16) through the public
// handler of a real `jeton serve` on SQLite (middleware, dialects, engine, store), in
// process and without the network, from 16 goroutines like the bench scripts' 16
// connections. client_credentials with a secret is the reference that writes
// nothing. Besides ns/op it reports the process's CPU per request (cpu-us/op), what a
// change saves on a machine too busy for rates to mean much, and the p99 of one
// request. Every request spends a credential made before the timer starts (RS256
// assertions cost about 1 ms each), so run it with a fixed count:
//
//	go test ./cmd/jeton -run '^$' -bench WriteGrants -benchtime 4000x -count 5
//
// BENCH_CPUPROFILE=DIR writes a CPU profile of each timed run into DIR; BENCH_POSTGRES=1
// runs the server on a fresh PostgreSQL database (pgtest) instead.
func BenchmarkWriteGrants(b *testing.B) {
	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(400)) // as serve does (tuneGC)
	}
	args := []string{"--log-level", "warn"}
	if os.Getenv("BENCH_POSTGRES") != "" {
		args = append(args, "--database", pgtest.NewDatabase(b), "--migrate")
	}
	s := startServer(b, args...)
	ctx := context.Background()
	inst, err := s.admin.CreateInstitution(ctx, "Bench Bank")
	if err != nil {
		b.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	newClient := func(in adminapi.ClientInput) adminapi.CreatedClient {
		in.InstitutionID, in.Name, in.Scopes = inst.ID, "bench", []string{"accounts:read"}
		c, err := s.admin.CreateClient(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	tokenURL := s.app.Issuer + "/oauth2/token"

	b.Run("client_credentials", func(b *testing.B) {
		c := newClient(adminapi.ClientInput{Grants: []string{jeton.GrantClientCredentials}, AuthMethod: jeton.AuthSecretBasic})
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ClientID)+":"+url.QueryEscape(c.ClientSecret)))
		body := "grant_type=client_credentials&scope=accounts%3Aread"
		serveAll(b, s, func(int) *http.Request { return formRequest("/oauth2/token", body, auth) })
	})

	b.Run("private_key_jwt", func(b *testing.B) {
		c := newClient(adminapi.ClientInput{Grants: []string{jeton.GrantClientCredentials}, AuthMethod: jeton.AuthPrivateKey,
			PublicKeys: []jeton.ClientKey{{Format: jeton.KeyPEM, Data: pubPEM}}})
		as := benchAssertions(b, key, c.ClientID, c.ClientID, tokenURL, true)
		prefix := "grant_type=client_credentials&scope=accounts%3Aread&client_assertion_type=" +
			url.QueryEscape(cardcore.AssertionType) + "&client_assertion="
		serveAll(b, s, func(i int) *http.Request { return formRequest("/oauth2/token", prefix+as[i], "") })
	})

	b.Run("refresh_token", func(b *testing.B) {
		c := newClient(adminapi.ClientInput{Grants: []string{jeton.GrantPassword, jeton.GrantRefreshToken}, AuthMethod: jeton.AuthSecretBasic})
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ClientID)+":"+url.QueryEscape(c.ClientSecret)))
		tokens := benchFamilies(b, s, inst.ID, c.ClientID)
		serveAll(b, s, func(i int) *http.Request {
			return formRequest("/oauth2/token", "grant_type=refresh_token&refresh_token="+tokens[i], auth)
		})
	})

	b.Run("cardcore", func(b *testing.B) {
		clientID, appKey := benchCardCoreApp(b, s, inst.ID, pubPEM)
		as := benchAssertions(b, key, clientID, "https://fintech.example", s.app.Issuer+"/cardcore"+cardcore.TokenPath, false)
		serveAll(b, s, func(i int) *http.Request {
			body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "institutionId": appKey,
				"client_id": clientID, "client_assertion_type": cardcore.AssertionType, "client_assertion": as[i]})
			r := httptest.NewRequest(http.MethodPost, "/cardcore"+cardcore.TokenPath, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		})
	})
}

func formRequest(path, body, auth string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

// serveAll sends request(i) for i in [0, b.N) through the public handler from 16
// goroutines; every answer must be 200.
func serveAll(b *testing.B, s *liveServer, request func(i int) *http.Request) {
	h := s.app.public.Handler
	reqs := make([]*http.Request, b.N) // built before the timer
	for i := range reqs {
		reqs[i] = request(i)
	}
	var next atomic.Int64
	lat := make([][]time.Duration, 16)
	var ru0, ru1 syscall.Rusage
	runtime.GC()
	stopProfile := profileTimed(b)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
				w := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(w, reqs[i])
				lat[g] = append(lat[g], time.Since(start))
				if w.Code != http.StatusOK {
					b.Errorf("request %d: %d %s", i, w.Code, w.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	stopProfile()
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/1000/float64(b.N), "cpu-us/op")
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// profileTimed writes a CPU profile of the timed part alone (the credentials are made
// before it, and RS256 signing would drown everything else) when BENCH_CPUPROFILE
// names a directory: one file per sub-benchmark and run.
func profileTimed(b *testing.B) (stop func()) {
	dir := os.Getenv("BENCH_CPUPROFILE")
	if dir == "" {
		return func() {}
	}
	name := strings.NewReplacer("/", "-").Replace(b.Name())
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.prof", name, b.N)))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// benchAssertions makes b.N RS256 client assertions on every core: iss as given, sub
// the client id, a fresh jti each (or, like CardCore's guide, none, and a claim n that
// makes each unique), exp within the hour and, as for assertions signed just before
// they are sent, rising by a second every thousand.
func benchAssertions(b *testing.B, key *rsa.PrivateKey, clientID, iss, aud string, jti bool) []string {
	out := make([]string, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	now := time.Now().Unix()
	enc := base64.RawURLEncoding.EncodeToString
	hdr := enc([]byte(`{"alg":"RS256","typ":"JWT"}`))
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
				claims := fmt.Sprintf(`{"iss":%q,"sub":%q,"aud":%q,"iat":%d,"exp":%d`, iss, clientID, aud, now, now+3000+int64(i/1000))
				if jti {
					claims += fmt.Sprintf(`,"jti":%q`, jeton.NewID())
				} else {
					claims += fmt.Sprintf(`,"n":%d`, i)
				}
				input := hdr + "." + enc([]byte(claims+"}"))
				d := sha256.Sum256([]byte(input))
				sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
				if err != nil {
					b.Error(err)
					return
				}
				out[i] = input + "." + enc(sig)
			}
		}()
	}
	wg.Wait()
	return out
}

// benchFamilies stores b.N refresh families of a new customer for clientID, straight
// through the store as bench/seed does, and returns their tokens.
func benchFamilies(b *testing.B, s *liveServer, instID, clientID string) []string {
	ctx := context.Background()
	cust, err := s.admin.CreateCustomer(ctx, instID, adminapi.CustomerInput{Username: "bench-" + jeton.NewID()[:8], Password: jeton.NewSecret()})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	tokens := make([]string, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
				f := jeton.RefreshFamily{ID: jeton.NewTimeID(now), ClientID: clientID, InstitutionID: instID, Subject: cust.ID,
					Scope: []string{"accounts:read"}, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}
				tokens[i] = jeton.NewRefreshToken(f.ID)
				err := s.app.store.CreateRefreshFamily(ctx, f, jeton.RefreshToken{Digest: jeton.RefreshTokenKey(tokens[i]), FamilyID: f.ID,
					CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return tokens
}

// benchCardCoreApp registers a CardCore application (website https://fintech.example)
// through the management endpoint, with an institution key from the admin API, and
// returns its client id and institutionId (the application key).
func benchCardCoreApp(b *testing.B, s *liveServer, instID, pubPEM string) (clientID, appKey string) {
	req, _ := http.NewRequest(http.MethodPost, s.adminURL+"/admin/v1/institutions/"+instID+"/keys", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	var created struct{ Key string }
	mustJSON(b, req, http.StatusCreated, &created)
	body, _ := json.Marshal(map[string]any{"name": "Bench app", "description": "benchmark", "publicKey": pubPEM,
		"scopes": []string{"READ", "WRITE"}, "grantType": "client_credentials", "websiteUrl": "https://fintech.example",
		"iconUrl": "https://fintech.example/icon.png", "isOfficial": false})
	req, _ = http.NewRequest(http.MethodPost, s.public+"/cardcore"+cardcore.CreatePath, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+created.Key)
	req.Header.Set("Content-Type", "application/json")
	var app struct {
		Data struct{ ClientID, InstitutionID string }
	}
	mustJSON(b, req, http.StatusCreated, &app)
	return app.Data.ClientID, app.Data.InstitutionID
}

func mustJSON(b *testing.B, req *http.Request, status int, v any) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		b.Fatalf("%s %s: %d", req.Method, req.URL, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatal(err)
	}
}

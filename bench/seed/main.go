// Command seed prepares the inputs of the grant benchmarks (bench/run-grants.sh): the
// single-use credentials that each request consumes, made before the load starts so
// that the load generator only reads lines from a file.
//
//	seed keygen     -priv key.pem -pub pub.pem
//	    an RSA-2048 key pair for a private_key_jwt client (PKCS #8 and PKIX PEM).
//	seed assertions -key key.pem -client-id ID -aud URL -n N -out FILE [-append] [-iss URL]
//	    N RS256 client assertions (RFC 7523 §2.2, §3): iss = sub = ID (iss = -iss when
//	    set: CardCore's registered website URL), aud = URL, a
//	    fresh jti each, iat now, exp now + 1 h; one compact JWS per line, signed in
//	    parallel on every core.
//	seed refresh    -db PATH|URL -n N -tokens FILE -out FILE [-reuse]
//	    in jeton's SQLite database (while jeton serve is stopped) or a PostgreSQL one
//	    (a postgres:// URL): an institution, a
//	    customer, a password + refresh_token client (client_secret_basic, server-style
//	    secret stored as its digest) and N refresh families, each with one live token.
//	    Writes the plaintext tokens one per line and the ids and secret as JSON. With
//	    -reuse it reads that JSON back and adds N more families to the same client,
//	    appending their tokens.
//	seed argon2     -n N [-m KiB -t passes -p lanes]
//	    times one argon2id verification (password.Verify) at the server's parameters,
//	    on one goroutine, and prints JSON with the median and the fastest.
package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "keygen":
		err = keygen(os.Args[2:])
	case "assertions":
		err = assertions(os.Args[2:])
	case "refresh":
		err = refresh(os.Args[2:])
	case "argon2":
		err = argon2Time(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "seed %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: seed keygen|assertions|refresh|argon2 [flags] (see the package comment)")
	os.Exit(2)
}

// ---- keygen ---------------------------------------------------------------------------

func keygen(args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ExitOnError)
	privPath := fs.String("priv", "", "private key output (PKCS #8 PEM)")
	pubPath := fs.String("pub", "", "public key output (PKIX PEM)")
	_ = fs.Parse(args)
	if *privPath == "" || *pubPath == "" {
		return errors.New("-priv and -pub are required")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(*pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
}

// ---- assertions -----------------------------------------------------------------------

// assertionClaims are those RFC 7523 §3 requires of a client assertion.
type assertionClaims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	JTI       string `json:"jti"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

func assertions(args []string) error {
	fs := flag.NewFlagSet("assertions", flag.ExitOnError)
	keyPath := fs.String("key", "", "RSA private key (PEM, from keygen)")
	clientID := fs.String("client-id", "", "iss and sub")
	iss := fs.String("iss", "", "iss, when not the client id (CardCore: the application's website URL)")
	aud := fs.String("aud", "", "aud: the token endpoint URL")
	n := fs.Int("n", 0, "how many assertions")
	out := fs.String("out", "", "output file, one assertion per line")
	appendOut := fs.Bool("append", false, "append to -out instead of replacing it")
	lifetime := fs.Duration("lifetime", time.Hour, "exp - iat")
	_ = fs.Parse(args)
	if *keyPath == "" || *clientID == "" || *aud == "" || *out == "" || *n <= 0 {
		return errors.New("-key, -client-id, -aud, -out and a positive -n are required")
	}
	if *iss == "" {
		iss = clientID
	}
	key, err := readRSAKey(*keyPath)
	if err != nil {
		return err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return err
	}
	mode := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if *appendOut {
		mode = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(*out, mode, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)

	// Workers take batches of work by an atomic counter and hand finished batches to
	// the one writer; the order of lines does not matter, only that each jti is new.
	const batch = 256
	start := time.Now()
	var next atomic.Int64
	chunks := make(chan []byte, 2*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := next.Add(batch) - batch
				if lo >= int64(*n) || failed.Load() != nil {
					return
				}
				hi := min(lo+batch, int64(*n))
				buf := make([]byte, 0, (hi-lo)*640)
				for range hi - lo {
					now := time.Now()
					payload, err := json.Marshal(assertionClaims{
						Issuer: *iss, Subject: *clientID, Audience: *aud, JTI: jeton.NewID(),
						IssuedAt: now.Unix(), ExpiresAt: now.Add(*lifetime).Unix(),
					})
					if err == nil {
						var jws *jose.JSONWebSignature
						if jws, err = signer.Sign(payload); err == nil {
							var s string
							if s, err = jws.CompactSerialize(); err == nil {
								buf = append(append(buf, s...), '\n')
							}
						}
					}
					if err != nil {
						failed.CompareAndSwap(nil, &err)
						return
					}
				}
				chunks <- buf
			}
		}()
	}
	go func() { wg.Wait(); close(chunks) }()
	var werr error
	for c := range chunks {
		if werr == nil {
			_, werr = w.Write(c)
		}
	}
	if p := failed.Load(); p != nil {
		return *p
	}
	if werr == nil {
		werr = w.Flush()
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return werr
	}
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "seed: %d RS256 assertions in %.1f s (%.0f/s on %d cores)\n",
		*n, el.Seconds(), float64(*n)/el.Seconds(), runtime.GOMAXPROCS(0))
	return nil
}

func readRSAKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an RSA key", path)
	}
	return rk, nil
}

// ---- refresh families -----------------------------------------------------------------

// seeded is what refresh writes as JSON for the script.
type seeded struct {
	InstitutionID string `json:"institution_id"`
	CustomerID    string `json:"customer_id"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	Families      int    `json:"families"`
}

func refresh(args []string) error {
	fs := flag.NewFlagSet("refresh", flag.ExitOnError)
	dbPath := fs.String("db", "", "jeton's SQLite database (DATA_DIR/jeton.db), or a postgres:// URL; created and migrated if new")
	n := fs.Int("n", 0, "how many refresh families")
	tokensPath := fs.String("tokens", "", "output: the plaintext refresh tokens, one per line")
	out := fs.String("out", "", "output: JSON with institution_id, customer_id, client_id, client_secret")
	scope := fs.String("scope", "accounts:read", "the families' (and the client's) scope")
	reuse := fs.Bool("reuse", false, "add families to the client named in -out (appending to -tokens)")
	_ = fs.Parse(args)
	if *dbPath == "" || *tokensPath == "" || *out == "" || *n <= 0 {
		return errors.New("-db, -tokens, -out and a positive -n are required")
	}
	ctx := context.Background()
	st, err := openStore(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	now := time.Now().Truncate(time.Second)
	var prev seeded
	if *reuse {
		b, err := os.ReadFile(*out)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &prev); err != nil {
			return fmt.Errorf("%s: %w", *out, err)
		}
		return addFamilies(ctx, st, prev, []string{*scope}, *n, *tokensPath, *out, now, true)
	}
	inst := jeton.Institution{ID: jeton.NewID(), Name: "Bench", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateInstitution(ctx, inst); err != nil {
		return fmt.Errorf("institution: %w", err)
	}
	// The families' subject must be a live customer: the refresh grant checks that the
	// customer still exists, is active and is not locked. Nobody signs in as this one,
	// so its password (hashed like any other) is thrown away.
	hash, err := password.Hash(jeton.NewSecret(), password.DefaultParams)
	if err != nil {
		return err
	}
	cust := jeton.Customer{
		ID: jeton.NewID(), InstitutionID: inst.ID, Username: "refresh-bench", PasswordHash: hash,
		Status: jeton.CustomerActive, CreatedAt: now, UpdatedAt: now,
	}
	if err := st.CreateCustomer(ctx, cust); err != nil {
		return fmt.Errorf("customer: %w", err)
	}
	// The same fields the admin API fills in for a new client (adminapi createClient).
	secret := jeton.NewSecret()
	scopes := []string{*scope}
	cl := jeton.Client{
		ID: jeton.NewID(), InstitutionID: inst.ID, Name: "refresh-bench", Status: jeton.ClientActive,
		AuthMethod: jeton.AuthSecretBasic, SecretDigest: jeton.Digest(secret),
		Institutions: []string{inst.ID}, Grants: []string{jeton.GrantPassword, jeton.GrantRefreshToken},
		Scopes: scopes, DefaultScopes: slices.Clone(scopes), TokenFormat: jeton.FormatJWT,
		AccessTokenTTL: time.Hour, RefreshTokenTTL: 30 * 24 * time.Hour, SigningAlg: "ES256",
		CreatedAt: now, UpdatedAt: now,
	}
	if err := st.CreateClient(ctx, cl); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	prev = seeded{InstitutionID: inst.ID, CustomerID: cust.ID, ClientID: cl.ID, ClientSecret: secret}
	return addFamilies(ctx, st, prev, scopes, *n, *tokensPath, *out, now, false)
}

// addFamilies creates n families of the seeded client and customer, writes their
// tokens to tokensPath (appending if add) and the updated summary to out.
// store is what seed refresh writes through: either of jeton's stores.
type store interface {
	jeton.Store
	Migrate(ctx context.Context) error
	Close() error
}

// openStore opens the SQLite file path, or the PostgreSQL database a postgres:// URL
// names (bench/lib.sh, STORE=postgres).
func openStore(ctx context.Context, path string) (store, error) {
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		// As many connections as writing goroutines: each insert is a round trip.
		if !strings.Contains(path, "pool_max_conns") {
			path += map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + "pool_max_conns=32"
		}
		return postgres.Open(ctx, path)
	}
	return sqlite.Open(ctx, path)
}

func addFamilies(ctx context.Context, st store, sd seeded, scopes []string, n int, tokensPath, out string, now time.Time, add bool) error {
	mode := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if add {
		mode = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(tokensPath, mode, 0o600)
	if err != nil {
		return err
	}
	start := time.Now()
	// The families start one after the other, as on a server (their ids are
	// time-ordered, jeton.NewTimeID), and their tokens go to the file in random order:
	// lines.lua spends them in file order, and a server's clients refresh in no order
	// at all, so consecutive rotations must not find their rows side by side. Many
	// goroutines keep the group committer's batches full.
	tokens := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fam := jeton.RefreshFamily{
					ID: jeton.NewTimeID(now.Add(time.Duration(i) * time.Millisecond)), ClientID: sd.ClientID,
					InstitutionID: sd.InstitutionID, Subject: sd.CustomerID, Scope: scopes, AuthTime: now, CreatedAt: now,
					ExpiresAt: now.Add(30 * 24 * time.Hour),
				}
				tokens[i] = jeton.NewRefreshToken(fam.ID)
				first := jeton.RefreshToken{
					Digest: jeton.RefreshTokenKey(tokens[i]), FamilyID: fam.ID, CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour),
				}
				if err := st.CreateRefreshFamily(ctx, fam, first); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("refresh family: %w", firstErr)
	}
	mrand.Shuffle(len(tokens), func(i, j int) { tokens[i], tokens[j] = tokens[j], tokens[i] })
	w := bufio.NewWriterSize(f, 1<<20)
	for _, tok := range tokens {
		if _, err := w.WriteString(tok + "\n"); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "seed: %d refresh families in %.1f s (%.0f/s)\n", n, el.Seconds(), float64(n)/el.Seconds())
	sd.Families += n
	b, err := json.MarshalIndent(sd, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o600)
}

// ---- argon2id timing -----------------------------------------------------------------

func argon2Time(args []string) error {
	fs := flag.NewFlagSet("argon2", flag.ExitOnError)
	n := fs.Int("n", 15, "timed verifications (after one untimed)")
	m := fs.Uint("m", uint(password.DefaultParams.MemoryKiB), "memory, KiB")
	t := fs.Uint("t", uint(password.DefaultParams.Passes), "passes")
	p := fs.Uint("p", uint(password.DefaultParams.Lanes), "lanes")
	_ = fs.Parse(args)
	if *n <= 0 {
		return errors.New("-n must be positive")
	}
	params := password.Params{MemoryKiB: uint32(*m), Passes: uint32(*t), Lanes: uint8(*p)}
	const pw = "correct horse battery staple"
	hash, err := password.Hash(pw, params)
	if err != nil {
		return err
	}
	verify := func() (time.Duration, error) {
		start := time.Now()
		ok, err := password.Verify(pw, hash)
		el := time.Since(start)
		if err == nil && !ok {
			err = errors.New("verify said no to the right password")
		}
		return el, err
	}
	if _, err := verify(); err != nil {
		return err
	}
	times := make([]time.Duration, *n)
	for i := range times {
		if times[i], err = verify(); err != nil {
			return err
		}
	}
	slices.Sort(times)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"median_ms": ms(times[len(times)/2]), "min_ms": ms(times[0]), "max_ms": ms(times[len(times)-1]),
		"n": *n, "memory_kib": params.MemoryKiB, "passes": params.Passes, "lanes": params.Lanes,
		"cores": runtime.NumCPU(),
	})
}

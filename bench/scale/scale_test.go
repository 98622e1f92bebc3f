package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/sqlite"
)

// smallSizes is the smoke test's population: every kind of row, a thousand families.
var smallSizes = Sizes{Institutions: 5, Clients: 40, Customers: 20, Families: 1000, Replays: 100, Opaque: 100}

const testAud = "http://jeton.test/oauth2/token"

// target is one store kind under test: a fresh database and how to open and dump it.
type target struct {
	name string
	db   func(t *testing.T) string
}

var targets = []target{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "jeton.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
}

type testStore interface {
	jeton.Store
	Migrate(ctx context.Context) error
	Close() error
}

func openTestStore(t *testing.T, db string) testStore {
	t.Helper()
	ctx := context.Background()
	var st testStore
	var err error
	if isPostgres(db) {
		st, err = postgres.Open(ctx, db)
	} else {
		st, err = sqlite.Open(ctx, db)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// keyDir holds the one RSA key every test's population shares (making a key takes a
// second on a busy machine).
var keyDir string

func TestMain(m *testing.M) {
	var err error
	if keyDir, err = os.MkdirTemp("", "scale-test-keys"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(keyDir)
	os.Exit(code)
}

func smallPop(t *testing.T, expired float64) (*manifest, *Pop) {
	t.Helper()
	m, err := newManifest(smallSizes, keyDir, testAud, expired, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.pop()
	if err != nil {
		t.Fatal(err)
	}
	return m, p
}

func loadSmall(t *testing.T, db string, p *Pop) {
	t.Helper()
	got, err := load(context.Background(), db, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Fatalf("loaded %d tables, want 7: %+v", len(got), got)
	}
}

// TestRowsAreTheStoresOwn loads a population in bulk into one database and writes the
// same values through the Store's own methods into another, and compares every row
// of every table loaded, byte for byte: the loader must write what jeton writes.
func TestRowsAreTheStoresOwn(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			_, p := smallPop(t, 0.1)
			bulk := tg.db(t)
			loadSmall(t, bulk, p)
			byAPI := tg.db(t)
			writeThroughStore(t, openTestStore(t, byAPI), p)
			names := []string{"institutions", "clients", "customers", "refresh_families", "refresh_tokens", "access_tokens"}
			if isPostgres(bulk) {
				names = append(names, "assertion_ids")
			} else {
				names = append(names, "assertion_uses")
			}
			for _, name := range names {
				want, got := dump(t, byAPI, name), dump(t, bulk, name)
				if len(want) == 0 {
					t.Fatalf("%s: the store wrote no rows", name)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: bulk rows differ from the store's own:\n got %v\nwant %v", name, first(got), first(want))
				}
			}
		})
	}
}

func first(rows []string) []string { return rows[:min(3, len(rows))] }

// writeThroughStore writes p's rows with the Store's methods, many at a time (the
// SQLite store commits them in groups).
func writeThroughStore(t *testing.T, st testStore, p *Pop) {
	t.Helper()
	ctx := context.Background()
	for i := range p.Institutions {
		must(t, st.CreateInstitution(ctx, p.Institution(i)))
	}
	for j := range p.Clients {
		must(t, st.CreateClient(ctx, p.Client(j)))
	}
	for k := range p.Customers {
		must(t, st.CreateCustomer(ctx, p.Customer(k)))
	}
	parallel(t, p.Families, func(f int) error {
		fam, tok, _ := p.Family(f)
		return st.CreateRefreshFamily(ctx, fam, tok)
	})
	parallel(t, p.Replays, func(r int) error {
		client, jti, exp := p.Replay(r)
		return st.UseAssertionID(ctx, client, jti, exp, p.Now)
	})
	parallel(t, p.Opaque, func(o int) error {
		at, _ := p.OpaqueToken(o)
		return st.CreateAccessToken(ctx, at)
	})
}

func parallel(t *testing.T, n int, fn func(int) error) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := fn(i); err != nil {
					errs[g] = fmt.Errorf("row %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	must(t, errors.Join(errs...))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// dump returns every row of table as text, sorted.
func dump(t *testing.T, db, table string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	if isPostgres(db) {
		conn, err := pgx.Connect(ctx, db)
		must(t, err)
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, "SELECT * FROM "+table)
		must(t, err)
		for rows.Next() {
			v, err := rows.Values()
			must(t, err)
			b, err := json.Marshal(v)
			must(t, err)
			out = append(out, string(b))
		}
		must(t, rows.Err())
	} else {
		sdb, err := sql.Open("sqlite", db)
		must(t, err)
		defer sdb.Close()
		rows, err := sdb.QueryContext(ctx, "SELECT * FROM "+table)
		must(t, err)
		cols, err := rows.Columns()
		must(t, err)
		for rows.Next() {
			v := make([]any, len(cols))
			p := make([]any, len(cols))
			for i := range v {
				p[i] = &v[i]
			}
			must(t, rows.Scan(p...))
			out = append(out, fmt.Sprintf("%#v", v))
		}
		must(t, rows.Err())
		rows.Close()
	}
	slices.Sort(out)
	return out
}

// countingClients counts the store reads behind the client cache.
type countingClients struct {
	jeton.ClientStore
	gets atomic.Int64
}

func (c *countingClients) GetClient(ctx context.Context, id string) (jeton.Client, error) {
	c.gets.Add(1)
	return c.ClientStore.GetClient(ctx, id)
}

// TestSeededPopulationWorks is the smoke test: after a bulk load, every seeded client
// authenticates with its method (a cold one costs exactly one store read, a warm one
// none), a wrong secret does not, every live seeded refresh token rotates once and
// only once, expired ones are expired, opaque tokens are found by their digest, and
// customers' shared password verifies.
func TestSeededPopulationWorks(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			m, p := smallPop(t, 0.1)
			db := tg.db(t)
			loadSmall(t, db, p)
			if !isPostgres(db) {
				checkSQLiteFile(t, db)
			}
			st := openTestStore(t, db)
			checkClients(t, st, m, p)
			checkFamilies(t, st, p)
			checkOpaque(t, st, p)
			c, err := st.GetCustomerByUsername(context.Background(), p.InstitutionID(3), "user-3")
			must(t, err)
			if ok, err := password.Verify(m.Password, c.PasswordHash); err != nil || !ok {
				t.Fatalf("customer password: %v %v", ok, err)
			}
		})
	}
}

// checkSQLiteFile: the load left the file in WAL mode, consistent foreign keys.
func checkSQLiteFile(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	must(t, err)
	defer db.Close()
	var mode string
	must(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	if mode != "wal" {
		t.Errorf("journal_mode after the load = %q, want wal", mode)
	}
	rows, err := db.Query("PRAGMA foreign_key_check")
	must(t, err)
	defer rows.Close()
	if rows.Next() {
		t.Error("foreign_key_check reports violations")
	}
}

func checkClients(t *testing.T, st testStore, m *manifest, p *Pop) {
	t.Helper()
	ctx := context.Background()
	counting := &countingClients{ClientStore: st}
	cache := clientcache.New(counting, time.Minute, nil)
	assertion, err := clientauth.NewAssertion(clientauth.AssertionConfig{
		Audiences: []string{testAud}, Replay: st, Keys: clientauth.NewKeys(clientauth.KeysConfig{}),
	})
	must(t, err)
	auth := &clientauth.Authenticator{Clients: cache, Now: time.Now, Methods: map[jeton.AuthMethod]clientauth.Method{
		jeton.AuthSecretBasic: clientauth.Secret{Now: time.Now}, jeton.AuthSecretPost: clientauth.Secret{Now: time.Now},
		jeton.AuthPrivateKey: assertion,
	}}
	b, err := os.ReadFile(m.PrivateKey)
	must(t, err)
	key, err := readRSAKey(b)
	must(t, err)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	must(t, err)
	for j := range p.Clients {
		cred := clientauth.Credentials{ClientID: p.ClientID(j)}
		switch clientMethod(j) {
		case jeton.AuthSecretBasic:
			cred.Presented, cred.Secret = clientauth.PresentedBasic, p.ClientSecret(j)
		case jeton.AuthSecretPost:
			cred.Presented, cred.Secret = clientauth.PresentedPost, p.ClientSecret(j)
		default:
			now := time.Now()
			payload, _ := json.Marshal(map[string]any{"iss": cred.ClientID, "sub": cred.ClientID, "aud": testAud,
				"jti": jeton.NewID(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
			jws, err := signer.Sign(payload)
			must(t, err)
			cred.Presented, cred.AssertionType = clientauth.PresentedAssertion, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
			cred.Assertion, err = jws.CompactSerialize()
			must(t, err)
		}
		before := counting.gets.Load()
		c, rec, err := auth.Authenticate(ctx, cred)
		if err == nil {
			err = rec.Wait(ctx)
		}
		if err != nil {
			t.Fatalf("client %d (%s): %v", j, clientMethod(j), err)
		}
		if c.ID != cred.ClientID || c.TokenFormat != clientFormat(j) {
			t.Fatalf("client %d: got %+v", j, c)
		}
		if n := counting.gets.Load() - before; n != 1 {
			t.Fatalf("client %d: a cold client cost %d store reads, want 1", j, n)
		}
		if cred.Secret != "" {
			if _, _, err := auth.Authenticate(ctx, cred); err != nil {
				t.Fatalf("client %d again: %v", j, err)
			}
			if n := counting.gets.Load() - before; n != 1 {
				t.Fatalf("client %d: a warm client cost a store read", j)
			}
			cred.Secret = p.ClientSecret(j + 1)
			if _, _, err := auth.Authenticate(ctx, cred); err == nil {
				t.Fatalf("client %d accepted another client's secret", j)
			}
		}
	}
}

func checkFamilies(t *testing.T, st testStore, p *Pop) {
	t.Helper()
	ctx := context.Background()
	live := 0
	for f := range p.Families {
		fam, _, tok := p.Family(f)
		key := jeton.RefreshTokenKey(tok)
		got, gotFam, err := st.GetRefreshToken(ctx, key)
		if err != nil {
			t.Fatalf("family %d: %v", f, err)
		}
		if gotFam.ClientID != fam.ClientID || gotFam.Subject != fam.Subject {
			t.Fatalf("family %d: got %+v, want %+v", f, gotFam, fam)
		}
		now := time.Now()
		if p.expired(f) {
			if got.ExpiresAt.After(now) || gotFam.ExpiresAt.After(now) {
				t.Fatalf("family %d should have expired: %+v %+v", f, got, gotFam)
			}
			continue
		}
		if !got.ExpiresAt.After(now) || !gotFam.ExpiresAt.After(now) {
			t.Fatalf("family %d should be live: %+v %+v", f, got, gotFam)
		}
		// The client of the family is one the refresh grant accepts: it holds the grant.
		c, err := st.GetClient(ctx, fam.ClientID)
		must(t, err)
		if !c.AllowsGrant(jeton.GrantRefreshToken) || !c.ActsFor(fam.InstitutionID) {
			t.Fatalf("family %d: client %s may not refresh it", f, c.ID)
		}
		if _, err := st.GetCustomer(ctx, fam.InstitutionID, fam.Subject); err != nil {
			t.Fatalf("family %d: customer: %v", f, err)
		}
		nextTok := jeton.NewRefreshToken(fam.ID)
		next := jeton.RefreshToken{Digest: jeton.RefreshTokenKey(nextTok), FamilyID: fam.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := st.RotateRefreshToken(ctx, key, next, now); err != nil {
			t.Fatalf("family %d: rotate: %v", f, err)
		}
		again := jeton.RefreshToken{Digest: jeton.RefreshTokenKey(jeton.NewRefreshToken(fam.ID)), FamilyID: fam.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := st.RotateRefreshToken(ctx, key, again, now); !errors.Is(err, jeton.ErrAlreadyUsed) {
			t.Fatalf("family %d: second rotation: %v, want ErrAlreadyUsed", f, err)
		}
		live++
	}
	if want := p.Families - p.Families/10; live != want {
		t.Fatalf("%d live families, want %d", live, want)
	}
}

func checkOpaque(t *testing.T, st testStore, p *Pop) {
	t.Helper()
	for o := range p.Opaque {
		want, tok := p.OpaqueToken(o)
		got, err := st.GetAccessToken(context.Background(), jeton.Digest(tok))
		if err != nil {
			t.Fatalf("opaque %d: %v", o, err)
		}
		if got.ClientID != want.ClientID || !got.ExpiresAt.Equal(want.ExpiresAt) {
			t.Fatalf("opaque %d: got %+v, want %+v", o, got, want)
		}
	}
}

// At full size (10 million families over six days) the start times still grow with
// the index and stay within the span: d*i overflowed int64 nanoseconds once.
func TestFamiliesSpreadAtFullSize(t *testing.T) {
	p := &Pop{Sizes: Sizes{Institutions: 10_000, Clients: 100_000, Customers: 1_000_000, Families: 10_000_000},
		Seed: []byte("seed"), Now: time.Now().UTC().Truncate(time.Second), Span: 6 * 24 * time.Hour, Idle: 7 * 24 * time.Hour, Life: 30 * 24 * time.Hour}
	prev := p.Now.Add(-p.Span - time.Second)
	for _, f := range []int{0, 1, 1_000_000, 5_000_000, 9_999_999} {
		fam, tok, _ := p.Family(f)
		if fam.CreatedAt.Before(prev) || !fam.CreatedAt.Before(p.Now) || !tok.ExpiresAt.After(p.Now) {
			t.Fatalf("family %d: created %v (span %v .. %v), token expires %v", f, fam.CreatedAt, p.Now.Add(-p.Span), p.Now, tok.ExpiresAt)
		}
		prev = fam.CreatedAt
	}
}

// TestColdClientIsAnIndexLookup: on PostgreSQL, with a clients table of a realistic
// size (and fresh statistics, as the loader leaves them), looking cold clients up
// through the cache reads the table by its primary key: the server's own counters
// (pg_stat_user_tables) show one index scan per cold client and no sequential scan.
func TestColdClientIsAnIndexLookup(t *testing.T) {
	db := pgtest.NewDatabase(t)
	m, err := newManifest(Sizes{Institutions: 10, Clients: 5000, Customers: 10}, keyDir, testAud, 0, time.Now())
	must(t, err)
	p, err := m.pop()
	must(t, err)
	_, err = load(context.Background(), db, p, nil)
	must(t, err)
	st := openTestStore(t, db)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	must(t, err)
	defer conn.Close(ctx)
	scans := func() (seq, idx int64) {
		t.Helper()
		must(t, conn.QueryRow(ctx, `SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'clients'`).Scan(&seq, &idx))
		return seq, idx
	}
	seq0, idx0 := scans()
	counting := &countingClients{ClientStore: st}
	cache := clientcache.New(counting, time.Minute, nil)
	const cold = 50
	for j := range cold {
		if _, err := cache.Client(ctx, p.ClientID(j*97)); err != nil {
			t.Fatal(err)
		}
		if _, err := cache.Client(ctx, p.ClientID(j*97)); err != nil { // warm: no read
			t.Fatal(err)
		}
	}
	if n := counting.gets.Load(); n != cold {
		t.Fatalf("%d store reads for %d cold clients", n, cold)
	}
	// A backend reports its counters when it goes idle, within about a second.
	deadline := time.Now().Add(15 * time.Second)
	seq, idx := scans()
	for idx < idx0+cold && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		seq, idx = scans()
	}
	if idx < idx0+cold {
		t.Fatalf("index scans on clients went from %d to %d for %d cold clients", idx0, idx, cold)
	}
	if seq != seq0 {
		t.Fatalf("cold client lookups scanned the clients table (%d sequential scans)", seq-seq0)
	}
}

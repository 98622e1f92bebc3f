package main

import (
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/postgres/pgtest"
)

// legacyFixture describes testdata/legacykek: databases written by jeton before
// sealed values named their KEK (fixture.json says how they were made).
type legacyFixture struct {
	KEK      string                  `json:"kek"`
	SQLite   map[string]legacyClient `json:"sqlite"`
	Postgres map[string]legacyClient `json:"postgres"`
}

type legacyClient struct {
	ClientID       string `json:"client_id"`
	ClientSecret   string `json:"client_secret"`
	PreviousSecret string `json:"previous_secret"`
}

func (c legacyClient) created() adminapi.CreatedClient {
	var out adminapi.CreatedClient
	out.ClientID, out.ClientSecret = c.ClientID, c.ClientSecret
	return out
}

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUpgradeFromDatabaseBeforeKEKIDs: a SQLite file and a PostgreSQL database
// written by the previous version (every signing key and client secret sealed without
// a KEK id) are served by this one under the same KEK; `jeton kek status` counts their
// values as legacy; `jeton kek rotate` moves them to a new KEK, after which the new KEK
// alone serves them.
func TestUpgradeFromDatabaseBeforeKEKIDs(t *testing.T) {
	raw, err := os.ReadFile("testdata/legacykek/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx legacyFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	kek, err := base64.StdEncoding.DecodeString(fx.KEK)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "jeton.db")
		if err := os.WriteFile(path, gunzipFile(t, "testdata/legacykek/jeton.db.gz"), 0o600); err != nil {
			t.Fatal(err)
		}
		testUpgradeBeforeKEKIDs(t, kek, path, fx.SQLite)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		// A plain pg_dump: statements only (simple protocol runs them in one go).
		if _, err := conn.Exec(t.Context(), string(gunzipFile(t, "testdata/legacykek/postgres.sql.gz"))); err != nil {
			t.Fatalf("load the old database: %v", err)
		}
		testUpgradeBeforeKEKIDs(t, kek, dsn, fx.Postgres)
	})
}

func testUpgradeBeforeKEKIDs(t *testing.T, kek []byte, database string, clients map[string]legacyClient) {
	args := []string{"--database", database, "--issuer", replicaIssuer}
	old := startReplica(t, kekEnv(kek), append(args, "--migrate")...)
	checkLegacyClients(t, old, clients)

	out, err := runJetonEnv(t, kekEnv(kek), "kek", "status", "--database", database)
	if err != nil {
		t.Fatalf("kek status: %v\n%s", err, out)
	}
	// Every value of the old version is legacy: 5 signing keys (4 algs and one ES256
	// rotation, unless the retired one was already pruned), 2 client secrets (hs and
	// rotated) and rotated's previous one.
	row := regexp.MustCompile(keys.KEKID(kek) + `\s+current\s+(\d+)\s+2\s+1\s+(\d+)`).FindStringSubmatch(out)
	if row == nil || row[1] != strconv.Itoa(mustAtoi(t, row[2])-3) || mustAtoi(t, row[1]) < 4 {
		t.Fatalf("kek status of the old database:\n%s", out)
	}
	if !strings.Contains(out, "not yet sealed under the current KEK") {
		t.Errorf("kek status does not ask for a rotation of the legacy values:\n%s", out)
	}
	if err := old.stop(t); err != nil {
		t.Fatal(err)
	}

	// A KEK rotation away from the old version's KEK.
	during := startReplica(t, kekEnv(kekNew, kek), args...)
	checkLegacyClients(t, during, clients)
	if out, err := runJetonEnv(t, kekEnv(kekNew, kek), "kek", "rotate", "--database", database); err != nil ||
		!strings.Contains(out, "every sealed value is under the current KEK "+keys.KEKID(kekNew)) {
		t.Fatalf("kek rotate: %v\n%s", err, out)
	}
	checkLegacyClients(t, during, clients)
	if err := during.stop(t); err != nil {
		t.Fatal(err)
	}
	checkLegacyClients(t, startReplica(t, kekEnv(kekNew), args...), clients)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkLegacyClients gets a token for each fixture client: HTTP Basic for "basic",
// an HS256 assertion (the sealed secret) for the others.
func checkLegacyClients(t *testing.T, r *replica, clients map[string]legacyClient) {
	t.Helper()
	for name, c := range clients {
		tok, err := tokenFor(r, c.created(), name != "basic")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !verifies(t, tok, r) {
			t.Errorf("%s: the token does not verify against the JWKS", name)
		}
	}
}

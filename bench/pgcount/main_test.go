package main

import (
	"context"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton/postgres/pgtest"
)

// TestCountsRoundTrips: through the proxy, a prepared statement costs one round trip
// once pgx has it cached, and a transaction one per statement plus BEGIN and COMMIT.
func TestCountsRoundTrips(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { _ = serve(ln, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))) }()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	proxied := pgtest.WithParam(pgtest.WithParam(pgtest.WithParam(dsn, "host", host), "port", port), "sslmode", "disable")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, proxied)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	trips := func() int64 { return syncs.Load() + queries.Load() }
	var one int
	if err := conn.QueryRow(ctx, "SELECT $1::int", 1).Scan(&one); err != nil { // prepares it
		t.Fatal(err)
	}
	before := trips()
	for range 10 {
		if err := conn.QueryRow(ctx, "SELECT $1::int", 1).Scan(&one); err != nil {
			t.Fatal(err)
		}
	}
	if n := trips() - before; n != 10 {
		t.Errorf("10 cached statements: %d round trips", n)
	}
	before = trips()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT $1::int", 1).Scan(&one)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := trips() - before; n != 3 {
		t.Errorf("BEGIN, one statement, COMMIT: %d round trips", n)
	}
	rec := httptest.NewRecorder()
	counters(rec, nil)
	if !strings.Contains(rec.Body.String(), `"round_trips"`) {
		t.Errorf("counters: %s", rec.Body)
	}
}

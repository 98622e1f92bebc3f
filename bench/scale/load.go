package main

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/sqlite"
)

// isPostgres reports whether db names a PostgreSQL database rather than a SQLite file.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// loaded is how long each table took.
type loaded struct {
	Table string  `json:"table"`
	Rows  int     `json:"rows"`
	Secs  float64 `json:"secs"`
}

// load migrates db (a SQLite path or a postgres:// URL) with jeton's own migrations,
// then bulk-loads p's tables into it; jeton must not be serving it meanwhile.
func load(ctx context.Context, db string, p *Pop, progress func(loaded)) ([]loaded, error) {
	return loadTables(ctx, db, p, nil, progress)
}

// loadTables is load of the tables only names (all when nil).
func loadTables(ctx context.Context, db string, p *Pop, only map[string]bool, progress func(loaded)) ([]loaded, error) {
	if isPostgres(db) {
		st, err := postgres.Open(ctx, db)
		if err != nil {
			return nil, err
		}
		err = st.Migrate(ctx)
		st.Close()
		if err != nil {
			return nil, err
		}
		return loadPostgres(ctx, db, p, only, progress)
	}
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	err = st.Migrate(ctx)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return loadSQLite(ctx, db, p, only, progress)
}

// produce makes rows 0..n-1 of fn on every core, in chunks handed over in index order:
// ids and keys that grow with the index are then inserted in order, at the end of
// their B-trees, as a server inserts them.
func produce(ctx context.Context, n int, fn func(int) []any) <-chan [][]any {
	const chunk = 2048
	workers := runtime.GOMAXPROCS(0)
	futures := make(chan chan [][]any, 4*workers)
	sem := make(chan struct{}, workers)
	go func() {
		defer close(futures)
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			f := make(chan [][]any, 1)
			select {
			case futures <- f:
			case <-ctx.Done():
				return
			}
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				rows := make([][]any, 0, hi-lo)
				for i := lo; i < hi; i++ {
					rows = append(rows, fn(i))
				}
				f <- rows
			}()
		}
	}()
	out := make(chan [][]any)
	go func() {
		defer close(out)
		for f := range futures {
			select {
			case out <- <-f:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// sqliteLoadPragmas relax durability for the load only: no rollback journal and no
// fsync (a crash mid-load leaves a file to throw away, not a store to trust), no
// foreign-key lookups (the population is consistent by construction; the smoke test
// runs foreign_key_check), a large page cache and one exclusive lock.
var sqliteLoadPragmas = []string{
	"PRAGMA foreign_keys = OFF",
	"PRAGMA locking_mode = EXCLUSIVE",
	"PRAGMA journal_mode = OFF",
	"PRAGMA synchronous = OFF",
	"PRAGMA cache_size = -1048576", // 1 GiB
	"PRAGMA temp_store = MEMORY",
}

// sqliteRestorePragmas put the file back the way jeton opens it: WAL (the journal mode
// is kept in the file; the other settings above lasted only as long as the load's
// connection), then a checkpoint.
var sqliteRestorePragmas = []string{
	"PRAGMA journal_mode = WAL",
	"PRAGMA wal_checkpoint(TRUNCATE)",
}

// sqliteTxRows is how many rows one load transaction commits.
const sqliteTxRows = 100_000

func loadSQLite(ctx context.Context, path string, p *Pop, only map[string]bool, progress func(loaded)) (out []loaded, err error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	for _, q := range sqliteLoadPragmas {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	defer func() {
		for _, q := range sqliteRestorePragmas {
			if _, rerr := conn.ExecContext(ctx, q); rerr != nil && err == nil {
				err = fmt.Errorf("%s: %w", q, rerr)
			}
		}
	}()
	for _, t := range p.tables() {
		if t.n == 0 || (only != nil && !only[t.name]) {
			continue
		}
		start := time.Now()
		if err := sqliteTable(ctx, conn, t); err != nil {
			return out, fmt.Errorf("%s: %w", t.name, err)
		}
		l := loaded{Table: t.name, Rows: t.n, Secs: time.Since(start).Seconds()}
		out = append(out, l)
		if progress != nil {
			progress(l)
		}
	}
	return out, nil
}

// sqliteTable inserts t's rows sqliteTxRows per transaction, many rows per INSERT
// (one prepared statement of about 500 values): per statement, database/sql and the
// driver cost more than SQLite's own work for a row.
func sqliteTable(ctx context.Context, conn *sql.Conn, t table) error {
	per := max(1, 500/len(t.cols))
	insert := func(rows int) string {
		one := `(?` + strings.Repeat(", ?", len(t.cols)-1) + `)`
		return `INSERT INTO ` + t.name + ` (` + strings.Join(t.cols, ", ") + `) VALUES ` +
			one + strings.Repeat(", "+one, rows-1)
	}
	full := insert(per)
	var tx *sql.Tx
	var st *sql.Stmt
	inTx := 0
	args := make([]any, 0, per*len(t.cols))
	flush := func(last bool) error {
		var err error
		if len(args) == 0 {
			if last && tx != nil {
				st.Close()
				err = tx.Commit()
				tx, st = nil, nil
			}
			return err
		}
		if tx == nil {
			if tx, err = conn.BeginTx(ctx, nil); err != nil {
				return err
			}
			if st, err = tx.PrepareContext(ctx, full); err != nil {
				return err
			}
		}
		if len(args) == per*len(t.cols) {
			_, err = st.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insert(len(args)/len(t.cols)), args...)
		}
		if err != nil {
			return err
		}
		inTx += len(args) / len(t.cols)
		args = args[:0]
		if inTx >= sqliteTxRows || last {
			st.Close()
			err = tx.Commit()
			tx, st, inTx = nil, nil, 0
		}
		return err
	}
	defer func() {
		if tx != nil {
			st.Close()
			tx.Rollback()
		}
	}()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for rows := range produce(cctx, t.n, t.sqlite) {
		for _, r := range rows {
			args = append(args, r...)
			if len(args) == per*len(t.cols) {
				if err := flush(false); err != nil {
					return err
				}
			}
		}
	}
	return flush(true)
}

func loadPostgres(ctx context.Context, url string, p *Pop, only map[string]bool, progress func(loaded)) ([]loaded, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var out []loaded
	for _, t := range p.tables() {
		if t.n == 0 || (only != nil && !only[t.name]) {
			continue
		}
		if t.name == "assertion_uses" {
			t.name, t.cols = pgReplay.name, pgReplay.cols
		}
		start := time.Now()
		if err := pgTable(ctx, conn, t); err != nil {
			return out, fmt.Errorf("%s: %w", t.name, err)
		}
		l := loaded{Table: t.name, Rows: t.n, Secs: time.Since(start).Seconds()}
		out = append(out, l)
		if progress != nil {
			progress(l)
		}
	}
	// Fresh statistics, as autovacuum would gather them on a server that grew to this
	// size over time: the planner must not take a 10-million-row table for empty.
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		return out, err
	}
	return out, nil
}

// pgTable copies t's rows with one COPY (pgx CopyFrom, the binary format).
func pgTable(ctx context.Context, conn *pgx.Conn, t table) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := produce(cctx, t.n, t.postgres)
	var cur [][]any
	i := 0
	n, err := conn.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromFunc(func() ([]any, error) {
		for i >= len(cur) {
			rows, ok := <-ch
			if !ok {
				return nil, nil
			}
			cur, i = rows, 0
		}
		i++
		return cur[i-1], nil
	}))
	if err == nil && int(n) != t.n {
		err = fmt.Errorf("copied %d rows of %d", n, t.n)
	}
	return err
}

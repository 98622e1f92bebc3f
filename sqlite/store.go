// Package sqlite is jeton's Store on embedded SQLite (modernc.org/sqlite, no cgo): the
// default single-node engine. It keeps its own native SQL and migrations (DESIGN rule 2)
// and passes storetest.Run.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jeton/jeton"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// walSizeLimit is what the WAL file is cut back to when SQLite starts writing it from
// the beginning again (after a checkpoint has copied all of it). Without a limit the
// file keeps the size of its largest burst for good: one janitor pass over 3.9
// million expired rows of a 10-million-family store left a 7.9 GB WAL beside a 5.9 GB
// database (docs/benchmarks.md, "Scale").
const walSizeLimit = 64 << 20

// busyTimeoutMS bounds how long a connection waits for a lock held by another process
// (for example `jeton migrate` run beside a live server) before SQLITE_BUSY.
const busyTimeoutMS = 10000

// Store is a jeton.Store on one SQLite database file in WAL mode.
//
// It keeps two pools on the same file. Every write goes through one goroutine, the
// group committer (batch.go), so writers in this process queue in Go instead of
// spinning in SQLite's busy handler, and every write transaction starts with BEGIN
// IMMEDIATE (_txlock), so it holds the write lock from its first statement. Reads use a separate, read-only
// pool of several connections: WAL lets them run concurrently with each other and with
// the writer, which matters on the token hot path.
type Store struct {
	path  string
	write *sql.DB
	// writer is the write connection the group committer owns (see Open).
	writer *sql.Conn
	read   *sql.DB
	wstmts *stmtCache
	rstmts *stmtCache
	// ops feeds the group commit (batch.go); quit stops it, stopped says it has.
	ops         chan *writeOp
	quit        chan struct{}
	stopped     chan struct{}
	checkpoints sync.WaitGroup
	// walHoldAt is the WAL file size at which the janitor waits for the WAL to start
	// over, walNoHoldUntil when it may again after giving up, walGaveUp how often it
	// did (walhold.go); maint takes work for the committer's connection between
	// batches (maintain).
	walHoldAt      int64
	walHoldMax     time.Duration
	walNoHoldUntil atomic.Int64
	walGaveUp      atomic.Int64
	maint          chan *maintOp
	closeOnce      sync.Once
	closeErr       error
}

var _ jeton.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path. It does not migrate; call
// Migrate. path must name a file: an in-memory database would give each pool its own
// empty database.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, walSizeLimit)
}

// open is Open with the WAL's size limit (journal_size_limit) as a parameter, so that
// tests can reach it with little data; the janitor holds off at a quarter above it.
func open(ctx context.Context, path string, walLimit int64) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, ":memory:") {
		return nil, fmt.Errorf("sqlite: open: path %q must be a plain file path", path)
	}
	// Two write connections: the committer owns one (writer, below), and statements
	// are prepared, checkpoints run and migrations apply on the other (a prepare
	// cannot wait for the connection an open transaction holds). Only the committer
	// goroutine ever writes rows, so there is still one writer.
	write, err := openPool(ctx, path, 2, url.Values{
		"_txlock": {"immediate"},
		// see checkpoint.go; journal_size_limit: walLimit (walSizeLimit but in tests)
		"_pragma": {"journal_mode(WAL)", "wal_autocheckpoint(0)", fmt.Sprintf("journal_size_limit(%d)", walLimit)},
	})
	if err != nil {
		return nil, err
	}
	// The committer keeps one connection for itself. SQLite throws away a
	// connection's whole page cache when it begins a transaction after another
	// connection committed (the WAL index header changed), so a committer that took
	// whichever connection the pool had free would start on a cold cache every time
	// the checkpointer or a prepare had borrowed its usual one: 10-15 % of the
	// refresh grant's throughput (docs/benchmarks.md).
	writer, err := write.Conn(ctx)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	readers := max(4, 2*runtime.GOMAXPROCS(0))
	read, err := openPool(ctx, path, readers, url.Values{"_pragma": {"query_only(1)"}})
	if err != nil {
		writer.Close()
		write.Close()
		return nil, err
	}
	s := &Store{path: path, write: write, writer: writer, read: read, wstmts: newStmtCache(write), rstmts: newStmtCache(read),
		ops: make(chan *writeOp, maxBatch), quit: make(chan struct{}), stopped: make(chan struct{}),
		walHoldAt: walLimit + walLimit/4, walHoldMax: walHoldMax, maint: make(chan *maintOp)}
	go s.commitLoop()
	s.checkpoints.Add(1)
	go func() { defer s.checkpoints.Done(); s.checkpointLoop() }()
	return s, nil
}

// openPool opens a database/sql pool of at most conns connections, each configured
// with the common pragmas plus extra DSN parameters, and checks that it connects.
func openPool(ctx context.Context, path string, conns int, extra url.Values) (*sql.DB, error) {
	q := url.Values{"_pragma": {
		fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS),
		"foreign_keys(1)",
		// FULL: in WAL mode every COMMIT syncs the WAL, so a write the committer has
		// answered survives power loss and an OS crash, not only the process's death
		// (NORMAL syncs only at checkpoints). Group commit pays one sync per batch
		// (docs/benchmarks.md); TestWriterIsDurable keeps it so.
		"synchronous(FULL)",
	}}
	for k, vs := range extra {
		q[k] = append(q[k], vs...)
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// Path is the database file the store was opened on.
func (s *Store) Path() string { return s.path }

// DB returns the write pool (reads and writes allowed), for tests and maintenance. Do
// not hold a write transaction on it while calling Store write methods: they would wait
// for SQLite's write lock.
func (s *Store) DB() *sql.DB { return s.write }

// Ping reports whether both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close stops the writer, then closes the statements and both pools. Closing twice is
// harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.stopped
		s.checkpoints.Wait()
		s.wstmts.close()
		s.rstmts.close()
		s.closeErr = errors.Join(s.writer.Close(), s.read.Close(), s.write.Close())
	})
	return s.closeErr
}

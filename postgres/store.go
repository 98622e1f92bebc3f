// Package postgres is jeton's Store on PostgreSQL: the scale-out engine that N
// stateless replicas share. It uses native pgx (not database/sql) on the token hot
// path, keeps its own native SQL and migrations (DESIGN rule 2), and passes
// storetest.Run.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jeton/jeton"
)

// DefaultApplicationName is the application_name (pg_stat_activity) of jeton's
// connections when the DSN names none.
const DefaultApplicationName = "jeton"

// Store is a jeton.Store on a pgx connection pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ jeton.Store = (*Store)(nil)

// Open connects to the database named by dsn (a URL or keyword/value string; pgxpool
// settings such as pool_max_conns may be included) and checks that it answers. It
// does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = DefaultApplicationName
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Pool returns the underlying pool, for tests and for LISTEN/NOTIFY wiring.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for acquired connections to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// execer is what runs one statement: the pool, or a transaction when the statement
// is part of a larger write.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// inTx runs fn in one transaction and commits if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache prepares each query once per pool; database/sql then keeps it prepared on
// every connection that runs it. Preparing anew per call was a tenth of the token hot
// path's time in the profiles (docs/benchmarks.md).
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	clear(c.m)
}

// execTx runs a prepared write statement inside tx.
func (s *Store) execTx(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := s.wstmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// queryRowTx runs a prepared query inside tx.
func (s *Store) queryRowTx(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := s.wstmts.get(ctx, query)
	if err != nil {
		return tx.QueryRowContext(ctx, query, args...) // reports the same error
	}
	return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

// queryRow runs a prepared query on the read pool.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.rstmts.get(ctx, query)
	if err != nil {
		return s.read.QueryRowContext(ctx, query, args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}

// exec runs one write statement as its own atomic write (through the group commit).
func (s *Store) exec(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = s.startSingle(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err = s.execTx(ctx, tx, query, args...)
		return err
	})()
	return res, err
}

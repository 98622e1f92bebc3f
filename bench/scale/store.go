package main

import (
	"context"
	"database/sql"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/sqlite"
)

// store is either of jeton's stores.
type store interface {
	jeton.Store
	Close() error
}

func openStore(ctx context.Context, db string) (store, error) {
	if isPostgres(db) {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(ctx, db)
}

// sqliteDB is the SQLite store's own pool, for the janitor report's counts.
func sqliteDB(st store) *sql.DB { return st.(*sqlite.Store).DB() }

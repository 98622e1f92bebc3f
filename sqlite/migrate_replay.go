package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/pressly/goose/v3"
)

// replayKeyMigration (version 8) moves the assertion replay records from
// assertion_ids (client_id, jti) to assertion_uses (assertionKey). It is a Go
// migration because the new key is a SHA-256, which SQLite's SQL cannot compute.
// Every record is carried over (the janitor drops the expired ones as before), so an
// upgrade forgets no used assertion.
// Going down recreates the old table empty: a hash cannot be turned back into its
// jti, and every record expires within the assertion lifetime bound (1 hour).
var replayKeyMigration = goose.NewGoMigration(8,
	&goose.GoFunc{RunTx: replayKeyUp},
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			CREATE TABLE assertion_ids (
			    client_id  TEXT NOT NULL,
			    jti        TEXT NOT NULL,
			    expires_at INTEGER NOT NULL,
			    PRIMARY KEY (client_id, jti)
			) STRICT, WITHOUT ROWID;
			CREATE INDEX assertion_ids_expires_at ON assertion_ids (expires_at);
			DROP TABLE assertion_uses;`)
		return err
	}})

func replayKeyUp(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `
		CREATE TABLE assertion_uses (
		    key        BLOB PRIMARY KEY,
		    expires_at INTEGER NOT NULL
		) STRICT, WITHOUT ROWID;
		CREATE INDEX assertion_uses_expires_at ON assertion_uses (expires_at);`); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT client_id, jti, expires_at FROM assertion_ids`)
	if err != nil {
		return err
	}
	type record struct {
		key []byte
		exp int64
	}
	var records []record
	for rows.Next() {
		var client, jti string
		var exp int64
		if err := rows.Scan(&client, &jti, &exp); err != nil {
			rows.Close()
			return err
		}
		records = append(records, record{assertionKey(client, jti), exp})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, r := range records {
		if _, err := tx.ExecContext(ctx, `INSERT INTO assertion_uses (key, expires_at) VALUES (?, ?)`, r.key, r.exp); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `DROP TABLE assertion_ids`)
	return err
}

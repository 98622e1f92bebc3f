package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
)

// TestListenKeyChanges: a first key, a rotation's successor and a scheduled
// replacement stored through one replica are announced, with their kid, to another replica's listener; a first key
// refused because the alg already has one is not.
func TestListenKeyChanges(t *testing.T) {
	writer, reader := twoReplicas(t)
	ctx := t.Context()
	expect, stop := notifications(t, reader.ListenKeyChanges, nil)
	expect("")

	now := time.Now().UTC().Truncate(time.Second)
	key := func(id string) jeton.SigningKey {
		return jeton.SigningKey{ID: id, Alg: "ES256", PublicDER: []byte(id), PrivateSealed: []byte(id), CreatedAt: now, ActiveAt: now}
	}
	if err := writer.AddFirstSigningKey(ctx, key("first")); err != nil {
		t.Fatal(err)
	}
	expect("first")
	if err := writer.AddFirstSigningKey(ctx, key("second first")); !errors.Is(err, jeton.ErrConflict) {
		t.Fatalf("second first key: %v, want ErrConflict", err)
	}
	if err := writer.AddSigningKey(ctx, key("successor"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	expect("successor") // not "second first": a refused insert announces nothing
	ev := jeton.AuditEvent{ID: jeton.NewID(), At: now, Actor: "schedule", Action: "key.rotate", Subject: "scheduled"}
	if err := writer.ReplaceSigningKey(ctx, "successor", key("scheduled"), now.Add(time.Hour), ev); err != nil {
		t.Fatal(err)
	}
	expect("scheduled")
	stop()
}

// TestApplicationNames: the pool's connections carry the application_name of the DSN,
// or "jeton"; the listening connections the same with "-listen", so an operator (or a
// test) can find a replica's LISTEN connection in pg_stat_activity.
func TestApplicationNames(t *testing.T) {
	writer, _ := twoReplicas(t) // DSN without application_name
	ctx := t.Context()
	expect, stop := notifications(t, writer.ListenClientChanges, nil)
	expect("")
	defer stop()
	var pool, listening string
	if err := writer.Pool().QueryRow(ctx, `SELECT current_setting('application_name')`).Scan(&pool); err != nil {
		t.Fatal(err)
	}
	err := writer.Pool().QueryRow(ctx, `SELECT application_name FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN jeton_client_changed'`).Scan(&listening)
	if err != nil {
		t.Fatal(err)
	}
	if pool != postgres.DefaultApplicationName || listening != postgres.DefaultApplicationName+postgres.ListenSuffix {
		t.Errorf("application names: pool %q, listening %q", pool, listening)
	}

	named, err := postgres.Open(ctx, pgtest.WithParam(writer.Pool().Config().ConnString(), "application_name", "replica-b"))
	if err != nil {
		t.Fatal(err)
	}
	defer named.Close()
	if err := named.Pool().QueryRow(ctx, `SELECT current_setting('application_name')`).Scan(&pool); err != nil || pool != "replica-b" {
		t.Errorf("a DSN's application_name: %q, %v", pool, err)
	}
}

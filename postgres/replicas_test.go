package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/jeton/jeton/storetest"
)

// twoReplicas opens two migrated Stores on one fresh database, as two jeton replicas
// would; both are closed when the test ends.
func twoReplicas(t *testing.T) (writer, reader *postgres.Store) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	ctx := t.Context()
	writer, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { writer.Close() })
	if err := writer.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if reader, err = postgres.Open(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() })
	return writer, reader
}

// notifications runs listen (a Store's Listen…Changes method) in the background and
// returns expect, which fails the test unless the next notified id is want within 5 s,
// and stop, which cancels the listener and checks that it returned nil. seen, if not
// nil, is called with every id before expect sees it.
func notifications(t *testing.T, listen func(ctx context.Context, changed func(string)) error,
	seen func(string)) (expect func(want string), stop func()) {
	t.Helper()
	got := make(chan string, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- listen(ctx, func(id string) {
			if seen != nil {
				seen(id)
			}
			got <- id
		})
	}()
	expect = func(want string) {
		t.Helper()
		select {
		case id := <-got:
			if id != want {
				t.Fatalf("notified %q, want %q", id, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no notification for %q", want)
		}
	}
	stop = func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("listener after cancel: %v", err)
		}
	}
	return expect, stop
}

// TestCodeReplayAcrossReplicas: a code exchanged on one replica while it is replayed on
// the other never leaves a live refresh family behind.
func TestCodeReplayAcrossReplicas(t *testing.T) {
	a, b := twoReplicas(t)
	storetest.RaceCodeReplay(t, a, b)
}

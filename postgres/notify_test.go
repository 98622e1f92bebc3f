package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
)

// TestListenClientChanges: a change made through one Store (one replica) reaches a
// listener on another, with the client's id; the listener first reports a gap.
func TestListenClientChanges(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := t.Context()
	writer, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if err := writer.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	reader, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	got := make(chan string, 16)
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- reader.ListenClientChanges(lctx, func(id string) { got <- id }) }()
	expect := func(want string) {
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
	expect("") // listening: the caller flushes everything it may have missed

	now := time.Now()
	if err := writer.CreateInstitution(ctx, jeton.Institution{ID: "i", Name: "I", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	c := jeton.Client{ID: "client-1", InstitutionID: "i", Name: "c", Status: jeton.ClientActive, AuthMethod: jeton.AuthSecretBasic,
		TokenFormat: jeton.FormatJWT, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now}
	if err := writer.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	expect("client-1")
	c.Status = jeton.ClientDisabled
	if err := writer.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	expect("client-1")

	cancel()
	if err := <-done; err != nil {
		t.Errorf("ListenClientChanges after cancel: %v", err)
	}
}

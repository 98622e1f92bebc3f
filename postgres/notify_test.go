package postgres_test

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// TestListenClientChanges: a change made through one Store (one replica) reaches a
// listener on another, with the client's id; the listener first reports a gap.
func TestListenClientChanges(t *testing.T) {
	writer, reader := twoReplicas(t)
	ctx := t.Context()
	expect, stop := notifications(t, reader.ListenClientChanges, nil)
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
	stop()
}

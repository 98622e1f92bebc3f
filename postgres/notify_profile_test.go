package postgres_test

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// TestListenProfileChanges: a change of an institution's default_profile reaches a
// listener on another replica as a change of each of its clients (they are read with
// it, docs/fapi2.md); a rename does not.
func TestListenProfileChanges(t *testing.T) {
	writer, reader := twoReplicas(t)
	ctx := t.Context()
	now := time.Now()
	in := jeton.Institution{ID: "i", Name: "I", CreatedAt: now, UpdatedAt: now}
	other := jeton.Institution{ID: "j", Name: "J", CreatedAt: now, UpdatedAt: now}
	for _, x := range []jeton.Institution{in, other} {
		if err := writer.CreateInstitution(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	c := jeton.Client{ID: "client-1", InstitutionID: "i", Name: "c", Status: jeton.ClientActive, AuthMethod: jeton.AuthPrivateKey,
		TokenFormat: jeton.FormatJWT, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now}
	if err := writer.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	expect, stop := notifications(t, reader.ListenClientChanges, nil)
	expect("") // listening
	in.Name = "Renamed"
	if err := writer.UpdateInstitution(ctx, in); err != nil {
		t.Fatal(err)
	}
	// A marker in another institution: had the rename notified client-1, that
	// notification would come first.
	marker := c
	marker.ID, marker.InstitutionID = "client-2", "j"
	if err := writer.CreateClient(ctx, marker); err != nil {
		t.Fatal(err)
	}
	expect("client-2")
	in.DefaultProfile = "fapi2"
	if err := writer.UpdateInstitution(ctx, in); err != nil {
		t.Fatal(err)
	}
	expect("client-1")
	stop()
}

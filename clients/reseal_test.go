package clients_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// A change written during a KEK rotation seals the client's secrets under the
// current KEK, whatever they were under when the client was read: otherwise a change
// that read the row before `jeton kek rotate` re-sealed it would write the old KEK's
// bytes back, and a restart with the new KEK alone could not open them.
func TestChangesSealUnderTheCurrentKEK(t *testing.T) {
	ctx := t.Context()
	store := sqlitetest.New(t)
	oldKEK, newKEK := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	now := time.Now().UTC()
	if err := store.CreateInstitution(ctx, jeton.Institution{ID: "inst", Name: "Bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	before := clients.New(clients.Config{Store: store, KEK: oldKEK})
	c, err := before.Create(ctx, "admin", clients.Input{InstitutionID: "inst", Name: "app",
		AuthMethod: jeton.AuthSecretJWT, Grants: []string{jeton.GrantClientCredentials}, Scopes: []string{"accounts:read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := before.RotateSecret(ctx, "admin", c.Client.ID, 3600); err != nil {
		t.Fatal(err)
	}
	during := clients.New(clients.Config{Store: store, KEK: newKEK, PreviousKEKs: [][]byte{oldKEK}})
	name := "renamed"
	if _, err := during.Update(ctx, "admin", c.Client.ID, clients.Update{Name: &name}); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetClient(ctx, c.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	for what, sealed := range map[string][]byte{"secret": got.SecretSealed, "previous secret": got.PreviousSecretSealed} {
		if len(sealed) == 0 {
			t.Fatalf("%s: nothing sealed", what)
		}
		if _, err := keys.OpenSecret(newKEK, got.ID, sealed); err != nil {
			t.Errorf("%s does not open with the new KEK alone: %v", what, err)
		}
	}
}

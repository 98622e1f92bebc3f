package adminapi_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jeton/jeton/adminapi"
)

// TestClientAddInstitution: a client may be enabled for other institutions and
// disabled again; its owner always stays.
func TestClientAddInstitution(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := mustInstitution(t, e, "A"), mustInstitution(t, e, "B")
	mk := func(name string) string {
		c, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: a.ID, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return c.ClientID
	}
	minter := mk("minter")
	up, err := e.c.UpdateClient(ctx, minter, adminapi.ClientUpdate{AddInstitutions: []string{b.ID, b.ID}})
	if err != nil || !slices.Equal(up.Institutions, []string{a.ID, b.ID}) {
		t.Fatalf("add institution: %v, %v", up.Institutions, err)
	}
	if up, err = e.c.UpdateClient(ctx, minter, adminapi.ClientUpdate{RemoveInstitutions: []string{b.ID, a.ID}}); err != nil || !slices.Equal(up.Institutions, []string{a.ID}) {
		t.Fatalf("remove institution (the owner stays): %v, %v", up.Institutions, err)
	}
	e.raw("PATCH", "/admin/v1/clients/"+minter, `{"add_institutions":["nope"]}`).wantError(t, 400, adminapi.CodeInvalidField, "institutions[1]")
}

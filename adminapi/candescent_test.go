package adminapi_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

func TestCandescentSettings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := mustInstitution(t, e, "A"), mustInstitution(t, e, "B")
	cs, err := e.c.GetCandescent(ctx, a.ID)
	if err != nil || cs.InstitutionID != a.ID || cs.Alias != "" || cs.V1Enabled {
		t.Fatalf("defaults: %+v, %v", cs, err)
	}
	cs, err = e.c.UpdateCandescent(ctx, a.ID, adminapi.CandescentUpdate{Alias: adminapi.Ptr("01234"), V1Enabled: adminapi.Ptr(true)})
	if err != nil || cs.Alias != "01234" || !cs.V1Enabled {
		t.Fatalf("update: %+v, %v", cs, err)
	}
	// Only the fields given change.
	if cs, err = e.c.UpdateCandescent(ctx, a.ID, adminapi.CandescentUpdate{V1Enabled: adminapi.Ptr(false)}); err != nil || cs.Alias != "01234" || cs.V1Enabled {
		t.Fatalf("partial update: %+v, %v", cs, err)
	}
	_, err = e.c.UpdateCandescent(ctx, b.ID, adminapi.CandescentUpdate{Alias: adminapi.Ptr("01234")})
	if ae := asAPIError(t, err); ae.Status != http.StatusConflict {
		t.Fatalf("taken alias: %+v", ae)
	}
	_, err = e.c.UpdateCandescent(ctx, b.ID, adminapi.CandescentUpdate{Alias: adminapi.Ptr(a.ID[:31])})
	if err != nil {
		t.Fatalf("31-character alias: %v", err)
	}
	e.raw("PATCH", "/admin/v1/institutions/"+b.ID+"/candescent", `{"alias":"`+a.ID+`"}`).wantError(t, 400, adminapi.CodeInvalidField, "alias")
	e.raw("PATCH", "/admin/v1/institutions/"+b.ID+"/candescent", `{"alias":"01 234"}`).wantError(t, 400, adminapi.CodeInvalidField, "alias")
	e.raw("PATCH", "/admin/v1/institutions/"+b.ID+"/candescent", `{"v1":true}`).wantError(t, 400, adminapi.CodeInvalidField, "v1")
	e.raw("GET", "/admin/v1/institutions/nope/candescent", "").wantError(t, 404, adminapi.CodeNotFound, "")
	if cs, err = e.c.UpdateCandescent(ctx, a.ID, adminapi.CandescentUpdate{Alias: adminapi.Ptr("")}); err != nil || cs.Alias != "" {
		t.Fatalf("alias removed: %+v, %v", cs, err)
	}
}

func TestClientLinksAndAddInstitution(t *testing.T) {
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
	minter, app := mk("minter"), mk("app")
	up, err := e.c.UpdateClient(ctx, minter, adminapi.ClientUpdate{AddInstitutions: []string{b.ID, b.ID}})
	if err != nil || !slices.Equal(up.Institutions, []string{a.ID, b.ID}) {
		t.Fatalf("add institution: %v, %v", up.Institutions, err)
	}
	if up, err = e.c.UpdateClient(ctx, minter, adminapi.ClientUpdate{RemoveInstitutions: []string{b.ID, a.ID}}); err != nil || !slices.Equal(up.Institutions, []string{a.ID}) {
		t.Fatalf("remove institution (the owner stays): %v, %v", up.Institutions, err)
	}
	e.raw("PATCH", "/admin/v1/clients/"+minter, `{"add_institutions":["nope"]}`).wantError(t, 400, adminapi.CodeInvalidField, "institutions[1]")

	l, err := e.c.LinkClients(ctx, minter, app)
	if err != nil || l.MinterID != minter || l.ClientID != app {
		t.Fatalf("link: %+v, %v", l, err)
	}
	if _, err := e.c.LinkClients(ctx, minter, app); asAPIError(t, err).Status != http.StatusConflict {
		t.Fatalf("link twice: %v", err)
	}
	e.raw("POST", "/admin/v1/clients/"+minter+"/links", `{"client_id":"`+minter+`"}`).wantError(t, 400, adminapi.CodeInvalidField, "client_id")
	e.raw("POST", "/admin/v1/clients/"+minter+"/links", `{"client_id":"ghost"}`).wantError(t, 400, adminapi.CodeInvalidField, "client_id")
	e.raw("POST", "/admin/v1/clients/ghost/links", `{"client_id":"`+app+`"}`).wantError(t, 404, adminapi.CodeNotFound, "")
	links, err := e.c.ListClientLinks(ctx, minter)
	if err != nil || len(links) != 1 || links[0].ClientID != app {
		t.Fatalf("list: %+v, %v", links, err)
	}
	if err := e.c.UnlinkClients(ctx, minter, app); err != nil {
		t.Fatal(err)
	}
	if err := e.c.UnlinkClients(ctx, minter, app); asAPIError(t, err).Status != http.StatusNotFound {
		t.Fatalf("unlink twice: %v", err)
	}
	events, err := e.store.ListAudit(ctx, jeton.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action)
	}
	for _, want := range []string{"client.link", "client.unlink"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit has no %s: %v", want, actions)
		}
	}
}

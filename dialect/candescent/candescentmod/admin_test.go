package candescentmod

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/adminapi/admintest"
)

func TestCandescentSettings(t *testing.T) {
	e := admintest.New(t, New().AdminRoutes)
	ctx := context.Background()
	a, b := e.Institution("A"), e.Institution("B")
	cs, err := GetCandescent(ctx, e.Client, a.ID)
	if err != nil || cs.InstitutionID != a.ID || cs.Alias != "" || cs.V1Enabled {
		t.Fatalf("defaults: %+v, %v", cs, err)
	}
	cs, err = UpdateCandescent(ctx, e.Client, a.ID, Update{Alias: adminapi.Ptr("01234"), V1Enabled: adminapi.Ptr(true)})
	if err != nil || cs.Alias != "01234" || !cs.V1Enabled {
		t.Fatalf("update: %+v, %v", cs, err)
	}
	// Only the fields given change.
	if cs, err = UpdateCandescent(ctx, e.Client, a.ID, Update{V1Enabled: adminapi.Ptr(false)}); err != nil || cs.Alias != "01234" || cs.V1Enabled {
		t.Fatalf("partial update: %+v, %v", cs, err)
	}
	_, err = UpdateCandescent(ctx, e.Client, b.ID, Update{Alias: adminapi.Ptr("01234")})
	if ae := admintest.APIError(t, err); ae.Status != http.StatusConflict {
		t.Fatalf("taken alias: %+v", ae)
	}
	_, err = UpdateCandescent(ctx, e.Client, b.ID, Update{Alias: adminapi.Ptr(a.ID[:31])})
	if err != nil {
		t.Fatalf("31-character alias: %v", err)
	}
	e.Raw("PATCH", "/admin/v1/institutions/"+b.ID+"/candescent", `{"alias":"`+a.ID+`"}`).WantError(t, 400, adminapi.CodeInvalidField, "alias")
	e.Raw("PATCH", "/admin/v1/institutions/"+b.ID+"/candescent", `{"alias":"01 234"}`).WantError(t, 400, adminapi.CodeInvalidField, "alias")
	e.Raw("PATCH", "/admin/v1/institutions/"+b.ID+"/candescent", `{"v1":true}`).WantError(t, 400, adminapi.CodeInvalidField, "v1")
	e.Raw("GET", "/admin/v1/institutions/nope/candescent", "").WantError(t, 404, adminapi.CodeNotFound, "")
	if cs, err = UpdateCandescent(ctx, e.Client, a.ID, Update{Alias: adminapi.Ptr("")}); err != nil || cs.Alias != "" {
		t.Fatalf("alias removed: %+v, %v", cs, err)
	}
}

// TestClientLinks: a minter links, lists and unlinks clients; each change is audited.
func TestClientLinks(t *testing.T) {
	e := admintest.New(t, New().AdminRoutes)
	ctx := context.Background()
	a := e.Institution("A")
	mk := func(name string) string {
		c, err := e.Client.CreateClient(ctx, adminapi.ClientInput{InstitutionID: a.ID, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return c.ClientID
	}
	minter, app := mk("minter"), mk("app")
	l, err := LinkClients(ctx, e.Client, minter, app)
	if err != nil || l.MinterID != minter || l.ClientID != app {
		t.Fatalf("link: %+v, %v", l, err)
	}
	if _, err := LinkClients(ctx, e.Client, minter, app); admintest.APIError(t, err).Status != http.StatusConflict {
		t.Fatalf("link twice: %v", err)
	}
	e.Raw("POST", "/admin/v1/clients/"+minter+"/links", `{"client_id":"`+minter+`"}`).WantError(t, 400, adminapi.CodeInvalidField, "client_id")
	e.Raw("POST", "/admin/v1/clients/"+minter+"/links", `{"client_id":"ghost"}`).WantError(t, 400, adminapi.CodeInvalidField, "client_id")
	e.Raw("POST", "/admin/v1/clients/ghost/links", `{"client_id":"`+app+`"}`).WantError(t, 404, adminapi.CodeNotFound, "")
	links, err := ListClientLinks(ctx, e.Client, minter)
	if err != nil || len(links) != 1 || links[0].ClientID != app {
		t.Fatalf("list: %+v, %v", links, err)
	}
	if err := UnlinkClients(ctx, e.Client, minter, app); err != nil {
		t.Fatal(err)
	}
	if err := UnlinkClients(ctx, e.Client, minter, app); admintest.APIError(t, err).Status != http.StatusNotFound {
		t.Fatalf("unlink twice: %v", err)
	}
	page, err := e.Store.ListAudit(ctx, jeton.AuditFilter{})
	events := page.Events
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

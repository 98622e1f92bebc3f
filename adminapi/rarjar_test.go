package adminapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/rar"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// Issue 18's client settings under their RFC client-metadata names: RFC 9126 §6
// require_pushed_authorization_requests (the same setting as require_par), RFC 9101
// §10.5 require_signed_request_object, RFC 9396 §10 authorization_details_types.
func TestClientRARJARSettings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	out, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "pay",
		RequirePushedAuthorizationRequests: true, RequireSignedRequestObject: true,
		AuthorizationDetailsTypes: []string{rar.TypePaymentInitiation}})
	if err != nil {
		t.Fatal(err)
	}
	if !out.RequirePAR || !out.RequirePushedAuthorizationRequests || !out.RequireSignedRequestObject ||
		!slices.Equal(out.AuthorizationDetailsTypes, []string{rar.TypePaymentInitiation}) {
		t.Fatalf("created %+v", out.ClientView)
	}
	out, err = e.c.UpdateClient(ctx, out.ClientID, adminapi.ClientUpdate{RequireSignedRequestObject: adminapi.Ptr(false),
		RequirePushedAuthorizationRequests: adminapi.Ptr(false), AuthorizationDetailsTypes: &[]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if out.RequirePAR || out.RequireSignedRequestObject || out.AuthorizationDetailsTypes == nil || len(out.AuthorizationDetailsTypes) != 0 {
		t.Fatalf("updated %+v", out.ClientView)
	}
	e.raw(http.MethodPatch, "/admin/v1/clients/"+out.ClientID, `{"require_par":true,"require_pushed_authorization_requests":false}`).
		wantError(t, http.StatusBadRequest, "invalid_field", "require_pushed_authorization_requests")
	for bad, field := range map[string]string{`["a b"]`: "[0]", `["../x"]`: "[0]", `["payment_initiation","payment_initiation"]`: "[1]", `[""]`: "[0]"} {
		e.raw(http.MethodPatch, "/admin/v1/clients/"+out.ClientID, `{"authorization_details_types":`+bad+`}`).
			wantError(t, http.StatusBadRequest, "invalid_field", "authorization_details_types"+field)
	}
}

// With the server's schemas known, a type without one is refused at registration.
func TestClientDetailTypeNeedsASchema(t *testing.T) {
	st := sqlitetest.New(t)
	reg, err := rar.Default()
	if err != nil {
		t.Fatal(err)
	}
	now := jeton.Institution{ID: "bank", Name: "Bank"}
	if err := st.CreateInstitution(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Store: st, Token: testToken,
		Clients: clients.New(clients.Config{Store: st, DetailTypes: reg.Known})}))
	t.Cleanup(srv.Close)
	c := adminapi.NewClient(srv.URL, testToken, srv.Client())
	_, err = c.CreateClient(context.Background(), adminapi.ClientInput{InstitutionID: "bank", Name: "x",
		AuthorizationDetailsTypes: []string{"tax_filing"}})
	if ae := asAPIError(t, err); ae.Field != "authorization_details_types[0]" {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := c.CreateClient(context.Background(), adminapi.ClientInput{InstitutionID: "bank", Name: "x",
		AuthorizationDetailsTypes: []string{rar.TypeAccountInformation}}); err != nil {
		t.Fatal(err)
	}
}

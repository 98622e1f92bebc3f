package cardcoremod

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/adminapi/admintest"
)

// TestInstitutionKeys: a created key is shown once and stored only as its digest;
// listing never shows it; revoking marks it; an unknown institution is 404.
func TestInstitutionKeys(t *testing.T) {
	e := admintest.New(t, New().AdminRoutes)
	ctx := t.Context()
	inst, err := e.Client.CreateInstitution(ctx, "Bank")
	if err != nil {
		t.Fatal(err)
	}
	k, err := CreateInstitutionKey(ctx, e.Client, inst.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Key) != 43 || k.InstitutionID != inst.ID || len(k.UserID) != 24 {
		t.Fatalf("created key %+v", k)
	}
	stored, err := e.Store.GetInstitutionKey(ctx, jeton.Digest(k.Key))
	if err != nil || stored.ID != k.ID {
		t.Fatalf("stored key by digest: %+v, %v", stored, err)
	}
	list, err := ListInstitutionKeys(ctx, e.Client, inst.ID)
	if err != nil || len(list) != 1 || list[0].ID != k.ID {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if a := e.Raw(http.MethodGet, "/admin/v1/institutions/"+inst.ID+"/keys", ""); a.Status != 200 || strings.Contains(string(a.Body), k.Key) {
		t.Fatalf("list answer shows the key or failed: %d %s", a.Status, a.Body)
	}
	if err := RevokeInstitutionKey(ctx, e.Client, inst.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if stored, _ = e.Store.GetInstitutionKey(ctx, jeton.Digest(k.Key)); stored.RevokedAt.IsZero() {
		t.Fatal("revoked key has no RevokedAt")
	}
	var ae *adminapi.APIError
	if _, err := CreateInstitutionKey(ctx, e.Client, "no-such-institution"); !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("unknown institution: %v", err)
	}
	if err := RevokeInstitutionKey(ctx, e.Client, "other", k.ID); !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("revoke through another institution: %v", err)
	}
}

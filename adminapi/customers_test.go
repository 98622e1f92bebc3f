package adminapi_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/password"
)

func TestCustomers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	other := mustInstitution(t, e, "Other")
	cu, err := e.c.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{
		Username: "alice", Password: "correct horse", Claims: map[string]any{"email": "a@example.com", "tier": 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cu.ID) != 32 || cu.InstitutionID != inst.ID || cu.Status != jeton.CustomerActive || cu.Claims["email"] != "a@example.com" {
		t.Fatalf("created %+v", cu)
	}
	stored, err := e.store.GetCustomer(ctx, inst.ID, cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q not made with the configured params", stored.PasswordHash)
	}
	if ok, err := password.Verify("correct horse", stored.PasswordHash); !ok || err != nil {
		t.Fatalf("stored hash does not verify: %v, %v", ok, err)
	}

	got, err := e.c.GetCustomer(ctx, inst.ID, cu.ID)
	if err != nil || got.Username != "alice" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	a := e.raw("GET", "/admin/v1/institutions/"+inst.ID+"/customers/"+cu.ID, "")
	if bytes.Contains(a.body, []byte("argon2")) || bytes.Contains(a.body, []byte("password")) {
		t.Fatalf("answer shows the password hash: %s", a.body)
	}
	if list, err := e.c.ListCustomers(ctx, inst.ID); err != nil || len(list) != 1 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if list, err := e.c.ListCustomers(ctx, other.ID); err != nil || len(list) != 0 {
		t.Fatalf("other institution's list = %+v, %v", list, err)
	}
	// Scoped: the customer does not exist under another institution.
	_, err = e.c.GetCustomer(ctx, other.ID, cu.ID)
	if asAPIError(t, err).Status != 404 {
		t.Fatalf("cross-institution get: %v", err)
	}

	// Duplicate username in the same institution is a conflict; elsewhere it is fine.
	_, err = e.c.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: "another pass"})
	if ae := asAPIError(t, err); ae.Status != 409 || ae.Code != "conflict" {
		t.Fatalf("duplicate: %+v", ae)
	}
	if _, err := e.c.CreateCustomer(ctx, other.ID, adminapi.CustomerInput{Username: "alice", Password: "another pass"}); err != nil {
		t.Fatalf("same username elsewhere: %v", err)
	}

	path := "/admin/v1/institutions/" + inst.ID + "/customers"
	cases := []struct{ name, body, field string }{
		{"empty username", `{"username":"","password":"12345678"}`, "username"},
		{"control in username", `{"username":"bo\u0000b","password":"12345678"}`, "username"},
		{"long username", `{"username":"` + strings.Repeat("u", 257) + `","password":"12345678"}`, "username"},
		{"short password", `{"username":"bob","password":"1234567"}`, "password"},
		{"long password", `{"username":"bob","password":"` + strings.Repeat("p", 1025) + `"}`, "password"},
		{"reserved claim", `{"username":"bob","password":"12345678","claims":{"sub":"x"}}`, "claims.sub"},
		{"blank claim name", `{"username":"bob","password":"12345678","claims":{"":"x"}}`, "claims"},
		{"unknown field", `{"username":"bob","password":"12345678","role":"admin"}`, "role"},
		{"claims not object", `{"username":"bob","password":"12345678","claims":[1]}`, "claims"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.raw("POST", path, tc.body).wantError(t, 400, "invalid_field", tc.field)
		})
	}
	e.raw("POST", "/admin/v1/institutions/nope/customers", `{"username":"bob","password":"12345678"}`).wantError(t, 404, "not_found", "")
	e.raw("GET", "/admin/v1/institutions/nope/customers", "").wantError(t, 404, "not_found", "")
	e.raw("GET", path+"/nope", "").wantError(t, 404, "not_found", "")
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	cu, _ := e.c.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: "first password"})
	// Simulate a lockout, which an admin reset must clear.
	locked, _ := e.store.GetCustomer(ctx, inst.ID, cu.ID)
	locked.FailedAttempts, locked.FailureWindowStart, locked.LockedUntil = 5, e.clock(), e.clock().Add(time.Hour)
	if err := e.store.UpdateCustomer(ctx, locked); err != nil {
		t.Fatal(err)
	}
	if err := e.c.SetPassword(ctx, inst.ID, cu.ID, "second password"); err != nil {
		t.Fatal(err)
	}
	stored, _ := e.store.GetCustomer(ctx, inst.ID, cu.ID)
	if ok, _ := password.Verify("second password", stored.PasswordHash); !ok {
		t.Fatal("new password does not verify")
	}
	if ok, _ := password.Verify("first password", stored.PasswordHash); ok {
		t.Fatal("old password still verifies")
	}
	if stored.FailedAttempts != 0 || !stored.LockedUntil.IsZero() || !stored.FailureWindowStart.IsZero() {
		t.Fatalf("lockout not cleared: %+v", stored)
	}
	p := "/admin/v1/institutions/" + inst.ID + "/customers/" + cu.ID + "/password"
	e.raw("PUT", p, `{"password":"short"}`).wantError(t, 400, "invalid_field", "password")
	e.raw("PUT", p, `{"password":"long enough","old":"x"}`).wantError(t, 400, "invalid_field", "old")
	e.raw("POST", p, `{"password":"long enough"}`).wantError(t, 405, "method_not_allowed", "")
	e.raw("PUT", "/admin/v1/institutions/"+inst.ID+"/customers/nope/password", `{"password":"long enough"}`).wantError(t, 404, "not_found", "")
}

func TestUnlockCustomer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	other := mustInstitution(t, e, "Other")
	cu, err := e.c.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: "first password"})
	if err != nil {
		t.Fatal(err)
	}
	// Lock her the way the password grant does: attempts reserved and failed in the
	// store. The lock keeps the run's two failures.
	policy := jeton.LockoutPolicy{MaxFailures: 2, Window: time.Hour, Cooldown: time.Hour}
	for range 2 {
		r, admitted, err := e.store.ReserveLoginAttempt(ctx, inst.ID, cu.ID, e.clock(), policy)
		if err != nil || !admitted {
			t.Fatalf("reserve: %v, %v", admitted, err)
		}
		if _, err := e.store.FailLoginAttempt(ctx, r, e.clock(), policy); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := e.store.GetCustomer(ctx, inst.ID, cu.ID)
	if !before.Locked(e.clock()) || before.FailedAttempts != 2 {
		t.Fatalf("setup: %+v; want locked with two failures", before)
	}

	got, err := e.c.UnlockCustomer(ctx, inst.ID, cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := e.store.GetCustomer(ctx, inst.ID, cu.ID)
	if stored.Locked(e.clock()) || stored.FailedAttempts != 0 || !stored.FailureWindowStart.IsZero() || !stored.LockedUntil.IsZero() {
		t.Fatalf("stored after unlock: %+v", stored)
	}
	if mustJSON(t, got) != mustJSON(t, stored) {
		t.Fatalf("answer %s differs from the stored customer %s", mustJSON(t, got), mustJSON(t, stored))
	}
	if stored.PasswordHash != before.PasswordHash {
		t.Fatal("unlock changed the password")
	}
	page, err := e.c.ListAudit(ctx, adminapi.AuditQuery{Action: "customer.unlock"})
	ev := page.Items
	if err != nil || len(ev) != 1 {
		t.Fatalf("audit %+v, %v", ev, err)
	}
	if ev[0].Actor != "admin" || ev[0].Subject != cu.ID || ev[0].InstitutionID != inst.ID ||
		ev[0].Details["failed_attempts"] != "2" || ev[0].Details["locked_until"] != before.LockedUntil.UTC().Format(time.RFC3339) {
		t.Fatalf("audit event %+v", ev[0])
	}

	// Unlocking an unlocked customer is harmless.
	if _, err := e.c.UnlockCustomer(ctx, inst.ID, cu.ID); err != nil {
		t.Fatal(err)
	}
	// Scoped to the institution: another institution's customer is not found.
	if _, err := e.c.UnlockCustomer(ctx, other.ID, cu.ID); asAPIError(t, err).Status != 404 {
		t.Fatalf("cross-institution unlock: %v", err)
	}
	p := "/admin/v1/institutions/" + inst.ID + "/customers/"
	e.raw("POST", p+"nope/unlock", "").wantError(t, 404, "not_found", "")
	e.raw("POST", "/admin/v1/institutions/nope/customers/"+cu.ID+"/unlock", "").wantError(t, 404, "not_found", "")
	e.raw("GET", p+cu.ID+"/unlock", "").wantError(t, 405, "method_not_allowed", "")
}

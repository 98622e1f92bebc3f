package adminapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

func TestKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	before, err := e.c.ListKeys(ctx)
	if err != nil || len(before) != 1 || before[0].Alg != "ES256" {
		t.Fatalf("initial keys = %+v, %v", before, err)
	}
	e.advance(time.Hour)
	k, err := e.c.RotateKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if k.Alg != "ES256" || k.ID == "" || k.ID == before[0].ID || !k.CreatedAt.Equal(e.clock()) {
		t.Fatalf("rotated %+v", k)
	}
	after, _ := e.c.ListKeys(ctx)
	if len(after) != 2 {
		t.Fatalf("after rotation: %+v", after)
	}
	var old jeton.SigningKey
	for _, x := range after {
		if x.ID == before[0].ID {
			old = x
		}
	}
	if old.RetiredAt.IsZero() || old.UnpublishAt.IsZero() {
		t.Fatalf("predecessor not retired: %+v", old)
	}
	if _, err := e.c.RotateKey(ctx, "EdDSA"); err != nil {
		t.Fatal(err)
	}
	if ev := e.events.Of(jeton.EventKeyRotated, jeton.EventReasonAdmin); len(ev) != 2 || len(e.events.Events()) != 2 {
		t.Fatalf("security events %+v; want two keys rotated by an admin", e.events.Events())
	}

	a := e.raw("GET", "/admin/v1/keys", "")
	for _, leak := range []string{"private", "sealed", "public_der", "PrivateSealed", "PublicDER", `"d"`} {
		if bytes.Contains(a.body, []byte(leak)) {
			t.Fatalf("key list shows %s: %s", leak, a.body)
		}
	}
	e.raw("POST", "/admin/v1/keys/rotate", `{"alg":"HS256"}`).wantError(t, 400, "invalid_field", "alg")
	e.raw("POST", "/admin/v1/keys/rotate", `{"algorithm":"ES256"}`).wantError(t, 400, "invalid_field", "algorithm")
	e.raw("POST", "/admin/v1/keys", `{}`).wantError(t, 405, "method_not_allowed", "")
}

func TestKeysNotConfigured(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Store: e.store, Token: testToken,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	_, err := adminapi.NewClient(srv.URL, testToken, srv.Client()).ListKeys(context.Background())
	if ae := asAPIError(t, err); ae.Status != 503 || ae.Code != "unavailable" {
		t.Fatalf("got %+v; want 503 unavailable", ae)
	}
}

func TestAudit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first, _ := e.c.ListKeys(ctx) // made by the key manager at start (actor jeton)
	firstKey := first[0]
	inst := mustInstitution(t, e, "Bank")
	cc, _ := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "App"})
	e.advance(time.Second)
	rot, _ := e.c.RotateSecret(ctx, cc.ClientID, time.Minute)
	e.advance(time.Second)
	_, _ = e.c.DisableClient(ctx, cc.ClientID)
	e.advance(time.Second)
	cu, _ := e.c.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: "pass word 1"})
	e.advance(time.Second)
	_ = e.c.SetPassword(ctx, inst.ID, cu.ID, "pass word 2")
	e.advance(time.Second)
	k, _ := e.c.RotateKey(ctx, "ES256")
	e.advance(time.Second)
	_ = e.c.DeleteClient(ctx, cc.ClientID)

	page, err := e.c.ListAudit(ctx, adminapi.AuditQuery{})
	events := page.Items
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		if ev.Actor != map[bool]string{true: "jeton", false: "admin"}[ev.Action == "key.create"] || ev.ID == "" || ev.At.IsZero() {
			t.Errorf("event %+v", ev)
		}
		got = append(got, ev.Action+" "+ev.Subject)
	}
	want := []string{
		"client.delete " + cc.ClientID, "key.rotate " + k.ID, "customer.password_set " + cu.ID,
		"customer.create " + cu.ID, "client.update " + cc.ClientID, "client.secret_rotate " + cc.ClientID,
		"client.create " + cc.ClientID, "institution.create " + inst.ID, "key.create " + firstKey.ID,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// No secret or password ever reaches the audit trail.
	a := e.raw("GET", "/admin/v1/audit", "")
	for _, s := range []string{cc.ClientSecret, rot.ClientSecret, "pass word 1", "pass word 2", "argon2"} {
		if bytes.Contains(a.body, []byte(s)) {
			t.Fatalf("audit trail contains a secret: %s", a.body)
		}
	}

	updPage, _ := e.c.ListAudit(ctx, adminapi.AuditQuery{Action: "client.update"})
	upd := updPage.Items
	if len(upd) != 1 || upd[0].Details["status"] != "disabled" || upd[0].InstitutionID != inst.ID {
		t.Fatalf("client.update events %+v", upd)
	}
	if p, _ := e.c.ListAudit(ctx, adminapi.AuditQuery{InstitutionID: inst.ID, Limit: 2}); len(p.Items) != 2 || p.Items[0].Action != "client.delete" {
		t.Fatalf("limited list %+v", p)
	}
	for _, bad := range []string{"0", "1001", "x", "-1"} {
		e.raw("GET", "/admin/v1/audit?limit="+bad, "").wantError(t, 400, "invalid_field", "limit")
	}
	// Refused requests change nothing, so they are not audited.
	e.raw("POST", "/admin/v1/institutions", `{"name":""}`)
	if after, _ := e.c.ListAudit(ctx, adminapi.AuditQuery{}); len(after.Items) != len(events) {
		t.Fatalf("a refused request was audited: %d events, had %d", len(after.Items), len(events))
	}
}

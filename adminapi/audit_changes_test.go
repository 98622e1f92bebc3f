package adminapi_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// must returns v, or panics on err (which fails the test with its stack): it takes a
// call's two results directly.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// lastEvent is the newest event of action.
func lastEvent(t *testing.T, e *env, action string) jeton.AuditEvent {
	t.Helper()
	p := must(e.c.ListAudit(context.Background(), adminapi.AuditQuery{Action: action, Limit: 1}))
	if len(p.Items) != 1 {
		t.Fatalf("no %s event", action)
	}
	return p.Items[0]
}

// wantChange checks an event's before and after (JSON objects, "" for absent).
func wantChange(t *testing.T, ev jeton.AuditEvent, before, after string) {
	t.Helper()
	if ev.Details["before"] != before || ev.Details["after"] != after {
		t.Errorf("%s: before %s after %s; want before %s after %s", ev.Action,
			ev.Details["before"], ev.Details["after"], before, after)
	}
}

// Every admin change records what it changed, before and after.
func TestAuditRecordsBeforeAndAfter(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	must(e.c.RenameInstitution(ctx, inst.ID, "Bank 2"))
	wantChange(t, lastEvent(t, e, jeton.ActionInstitutionUpdate), `{"name":"Bank"}`, `{"name":"Bank 2"}`)

	cc := must(e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "App"}))
	if ev := lastEvent(t, e, jeton.ActionClientCreate); ev.Details["before"] != "" || !strings.Contains(ev.Details["after"], `"name":"App"`) {
		t.Errorf("client.create details %v", ev.Details)
	}
	must(e.c.UpdateClient(ctx, cc.ClientID, adminapi.ClientUpdate{Name: adminapi.Ptr("App 2"), Status: adminapi.Ptr(jeton.ClientDisabled)}))
	wantChange(t, lastEvent(t, e, jeton.ActionClientUpdate), `{"name":"App","status":"active"}`, `{"name":"App 2","status":"disabled"}`)

	cu := must(e.c.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: "pass word 1"}))
	if err := e.c.SetPassword(ctx, inst.ID, cu.ID, "pass word 2"); err != nil {
		t.Fatal(err)
	}
	if ev := lastEvent(t, e, jeton.ActionCustomerPasswordSet); ev.Details["fields"] != "password" {
		t.Errorf("customer.password_set details %v", ev.Details)
	}

	old := must(e.c.ListKeys(ctx))[0]
	e.advance(time.Minute)
	k := must(e.c.RotateKey(ctx, "ES256"))
	rot := lastEvent(t, e, jeton.ActionKeyRotate)
	if rot.Subject != k.ID || rot.Details["alg"] != "ES256" ||
		!strings.Contains(rot.Details["before"], `"kid":"`+old.ID+`"`) || !strings.Contains(rot.Details["after"], `"kid":"`+k.ID+`"`) {
		t.Errorf("key.rotate %+v", rot)
	}

	must(e.c.SetHours(ctx, inst.ID, adminapi.HoursInput{TimeZone: "Europe/Paris", Windows: []string{"Mon-Fri 08:00-18:00"}}))
	must(e.c.SetHours(ctx, inst.ID, adminapi.HoursInput{TimeZone: "Europe/London", Windows: []string{"Mon-Fri 08:00-18:00"}}))
	wantChange(t, lastEvent(t, e, jeton.ActionInstitutionHoursSet), `{"time_zone":"Europe/Paris"}`, `{"time_zone":"Europe/London"}`)
	if err := e.c.ClearHours(ctx, inst.ID); err != nil {
		t.Fatal(err)
	}
	if ev := lastEvent(t, e, jeton.ActionInstitutionHoursClear); ev.Details["after"] != "" || !strings.Contains(ev.Details["before"], "Europe/London") {
		t.Errorf("hours.clear details %v", ev.Details)
	}

	must(e.c.SetRateLimit(ctx, jeton.RateLimitClient, cc.ClientID, adminapi.RateLimitInput{Rate: 5, Burst: 10}))
	must(e.c.SetRateLimit(ctx, jeton.RateLimitClient, cc.ClientID, adminapi.RateLimitInput{Rate: 7, Burst: 10}))
	wantChange(t, lastEvent(t, e, jeton.ActionRateLimitSet), `{"rate":5}`, `{"rate":7}`)
	if err := e.c.DeleteRateLimit(ctx, jeton.RateLimitClient, cc.ClientID); err != nil {
		t.Fatal(err)
	}
	if ev := lastEvent(t, e, jeton.ActionRateLimitDelete); ev.Details["after"] != "" || !strings.Contains(ev.Details["before"], `"rate":7`) {
		t.Errorf("ratelimit.delete details %v", ev.Details)
	}
}

// No secret, digest of one, sealed secret, password, password hash or private key
// ever reaches the audit log, whatever the change.
func TestAuditHoldsNoSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	var secrets []string
	for _, m := range []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthSecretJWT} {
		cc := must(e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "App", AuthMethod: m}))
		rot := must(e.c.RotateSecret(ctx, cc.ClientID, time.Hour))
		upd := must(e.c.UpdateClient(ctx, cc.ClientID, adminapi.ClientUpdate{Name: adminapi.Ptr("renamed")}))
		stored := must(e.store.GetClient(ctx, cc.ClientID))
		secrets = append(secrets, cc.ClientSecret, rot.ClientSecret, upd.ClientSecret)
		for _, b := range [][]byte{stored.SecretDigest, stored.PreviousSecretDigest, stored.SecretSealed, stored.PreviousSecretSealed} {
			secrets = append(secrets, encodings(b)...)
		}
		if err := e.c.DeleteClient(ctx, cc.ClientID); err != nil {
			t.Fatal(err)
		}
	}
	cu := must(e.c.CreateCustomer(ctx, inst.ID, adminapi.CustomerInput{Username: "alice", Password: "first pass word"}))
	hash1 := must(e.store.GetCustomer(ctx, inst.ID, cu.ID)).PasswordHash
	if err := e.c.SetPassword(ctx, inst.ID, cu.ID, "second pass word"); err != nil {
		t.Fatal(err)
	}
	must(e.c.UnlockCustomer(ctx, inst.ID, cu.ID))
	hash2 := must(e.store.GetCustomer(ctx, inst.ID, cu.ID)).PasswordHash
	secrets = append(secrets, "first pass word", "second pass word", hash1, hash2, "$argon2id")
	must(e.c.RotateKey(ctx, "ES256"))
	for _, k := range must(e.store.ListSigningKeys(ctx)) {
		secrets = append(secrets, encodings(k.PrivateSealed)...)
	}

	var all []jeton.AuditEvent
	if err := e.c.WalkAudit(ctx, adminapi.AuditQuery{}, 0, func(evs []jeton.AuditEvent) error {
		all = append(all, evs...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The first key, the institution, two clients' four changes each, the customer's
	// three, the rotation.
	if len(all) != 1+1+2*4+3+1 {
		t.Fatalf("%d events, want 14", len(all))
	}
	log := string(must(json.Marshal(all)))
	for _, s := range secrets {
		if s != "" && strings.Contains(log, s) {
			t.Errorf("the audit log holds a secret (%.12s…)", s)
		}
	}
	for _, ev := range all {
		if !jeton.KnownAuditAction(ev.Action) {
			t.Errorf("event of unlisted action %q", ev.Action)
		}
	}
}

// encodings are the ways bytes could show up in JSON: hex, base64 and base64url.
func encodings(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return []string{hex.EncodeToString(b), base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b)}
}

package adminapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// appendEvents appends n events one second apart from the env's clock, alternating
// two institutions, and returns their ids newest first.
func appendEvents(t *testing.T, e *env, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		ev := jeton.AuditEvent{ID: fmt.Sprintf("ev%03d", i), At: e.clock().Add(time.Duration(i/2) * time.Second),
			InstitutionID: []string{"inst-a", "inst-b"}[i%2], Actor: "admin", Action: "institution.update", Subject: "s"}
		if err := e.store.AppendAudit(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		ids = append([]string{ev.ID}, ids...)
	}
	return ids
}

func eventIDs(evs []jeton.AuditEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// The audit list has no silent cap: cursors walk every event, in pages of the size
// asked for, and the last page has no next_cursor.
func TestAuditCursorWalksEverything(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	want := appendEvents(t, e, 2503)
	var got []string
	pages := 0
	all := adminapi.AuditQuery{Action: "institution.update"} // not the start's key.create
	err := e.c.WalkAudit(ctx, all, 0, func(evs []jeton.AuditEvent) error {
		pages++
		got = append(got, eventIDs(evs)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("walk: %d events in %d pages, want %d in 3", len(got), pages, len(want))
	}
	// A page of exactly what is left ends the walk: no cursor to an empty page.
	p, err := e.c.ListAudit(ctx, adminapi.AuditQuery{InstitutionID: "inst-a", Limit: 7})
	if err != nil || len(p.Items) != 7 || p.NextCursor == "" {
		t.Fatalf("first page: %d items, cursor %q, %v", len(p.Items), p.NextCursor, err)
	}
	var instA []string
	err = e.c.WalkAudit(ctx, adminapi.AuditQuery{InstitutionID: "inst-a"}, 0, func(evs []jeton.AuditEvent) error {
		instA = append(instA, eventIDs(evs)...)
		return nil
	})
	if err != nil || len(instA) != 1252 {
		t.Fatalf("inst-a walk: %d events, %v", len(instA), err)
	}
	// --limit: the walk stops at max, asking for no more than it needs.
	var first []string
	if err := e.c.WalkAudit(ctx, all, 1500, func(evs []jeton.AuditEvent) error {
		first = append(first, eventIDs(evs)...)
		return nil
	}); err != nil || !slices.Equal(first, want[:1500]) {
		t.Fatalf("walk of 1500: %d events, %v", len(first), err)
	}
}

func TestAuditFiltersOnTheWire(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	appendEvents(t, e, 10) // at +0s..+4s, two per second
	since, until := e.clock().Add(time.Second), e.clock().Add(3*time.Second)
	p, err := e.c.ListAudit(ctx, adminapi.AuditQuery{Since: since, Until: until, InstitutionID: "inst-b"})
	if err != nil || !slices.Equal(eventIDs(p.Items), []string{"ev005", "ev003"}) {
		t.Fatalf("since/until/institution: %v, %v", eventIDs(p.Items), err)
	}
	for _, bad := range []struct{ query, field string }{
		{"since=yesterday", "since"},
		{"until=2030-01-02", "until"},
		{"since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z", "until"},
		{"limit=1001", "limit"},
	} {
		e.raw("GET", "/admin/v1/audit?"+bad.query, "").wantError(t, 400, "invalid_field", bad.field)
	}
}

// A cursor is refused (400, field cursor) when garbled, forged, altered, or presented
// with other filters than the ones it was issued for; the page size may change.
func TestAuditCursorRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	appendEvents(t, e, 10)
	p, err := e.c.ListAudit(ctx, adminapi.AuditQuery{InstitutionID: "inst-a", Limit: 2})
	if err != nil || p.NextCursor == "" {
		t.Fatalf("first page: %+v, %v", p, err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	altered := slices.Clone(raw)
	altered[8] ^= 1 // one bit of the position
	forged := slices.Clone(raw)
	copy(forged[17:], make([]byte, 16)) // a zero MAC
	for name, q := range map[string]string{
		"garbled":        "inst-a&cursor=" + url.QueryEscape("not a cursor!"),
		"not base64url":  "inst-a&cursor=" + url.QueryEscape(p.NextCursor+"=="),
		"truncated":      "inst-a&cursor=" + p.NextCursor[:10],
		"altered":        "inst-a&cursor=" + base64.RawURLEncoding.EncodeToString(altered),
		"forged":         "inst-a&cursor=" + base64.RawURLEncoding.EncodeToString(forged),
		"other filters":  "inst-b&cursor=" + p.NextCursor,
		"filter dropped": "&cursor=" + p.NextCursor,
	} {
		a := e.raw("GET", "/admin/v1/audit?institution_id="+q, "")
		if a.status != 400 || a.err.Field != "cursor" {
			t.Errorf("%s cursor: %d %+v", name, a.status, a.err)
		}
	}
	next, err := e.c.ListAudit(ctx, adminapi.AuditQuery{InstitutionID: "inst-a", Limit: 3, Cursor: p.NextCursor})
	if err != nil || !slices.Equal(eventIDs(next.Items), []string{"ev004", "ev002", "ev000"}) || next.NextCursor != "" {
		t.Fatalf("second page with another size: %v %q %v", eventIDs(next.Items), next.NextCursor, err)
	}
	// Another admin token (another deployment) does not accept this one's cursors.
	const otherToken = "another-admin-token-0123456789"
	srv := httptest.NewServer(adminapi.New(adminapi.Config{Store: e.store, Token: otherToken}))
	defer srv.Close()
	other := adminapi.NewClient(srv.URL, otherToken, srv.Client())
	if _, err := other.ListAudit(ctx, adminapi.AuditQuery{InstitutionID: "inst-a", Cursor: p.NextCursor}); asAPIError(t, err).Field != "cursor" {
		t.Fatalf("a cursor of another deployment: %v", err)
	}
}

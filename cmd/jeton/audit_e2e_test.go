package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/sqlite"
)

// `jeton audit list` against a real serve: it follows the cursors through every page
// of a range larger than the API's largest page, filters on the server, and stops at
// --limit.
func TestAuditListCLI(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	inst, err := s.admin.CreateInstitution(ctx, "Bank")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := s.admin.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "App"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.DisableClient(ctx, cl.ClientID); err != nil {
		t.Fatal(err)
	}
	// 2,500 older events straight into the server's store: three pages of 1000.
	start := time.Now().Add(-30 * time.Minute)
	for i := range 2500 {
		ev := jeton.AuditEvent{ID: fmt.Sprintf("bulk-%04d", i), At: start.Add(time.Duration(i) * time.Millisecond),
			InstitutionID: "other", Actor: "admin", Action: jeton.ActionInstitutionUpdate, Subject: "other"}
		if err := s.app.store.AppendAudit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	conn := []string{"--server", s.adminURL, "--token", s.token, "--data-dir", t.TempDir()}
	list := func(args ...string) []jeton.AuditEvent {
		t.Helper()
		out, errOut, err := runCLI(t, "", append(append([]string{"audit", "list", "-o", "json"}, args...), conn...)...)
		if err != nil {
			t.Fatalf("audit list %v: %v\n%s", args, err, errOut)
		}
		var evs []jeton.AuditEvent
		if err := json.Unmarshal([]byte(out), &evs); err != nil {
			t.Fatalf("audit list %v: not a JSON array: %v\n%.300s", args, err, out)
		}
		return evs
	}

	all := list("--since", "1h")
	// The bulk, the first key of each of the four algs, the institution, the client's
	// creation and update.
	if len(all) != 2500+4+3 {
		t.Fatalf("--since 1h: %d events, want 2507", len(all))
	}
	seen := map[string]bool{}
	for i, e := range all {
		if seen[e.ID] {
			t.Fatalf("event %s listed twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && e.At.After(all[i-1].At) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	if got := list("--since", "1h", "--limit", "1200"); !slices.EqualFunc(got, all[:1200], func(a, b jeton.AuditEvent) bool { return a.ID == b.ID }) {
		t.Fatalf("--limit 1200: %d events, not the newest 1200", len(got))
	}
	if got := list("--institution", "other", "--until", start.Add(10*time.Millisecond).Format(time.RFC3339Nano)); len(got) != 10 {
		t.Fatalf("--institution --until: %d events, want 10", len(got))
	}
	byClient := list("--client", cl.ClientID)
	var actions []string
	for _, e := range byClient {
		actions = append(actions, e.Action)
	}
	if !slices.Equal(actions, []string{jeton.ActionClientUpdate, jeton.ActionClientCreate}) {
		t.Fatalf("--client: %v", actions)
	}
	if got := list("--action", jeton.ActionClientUpdate, "--actor", "admin"); len(got) != 1 || got[0].Details["status"] != "disabled" {
		t.Fatalf("--action --actor: %+v", got)
	}
	if got := list("--action", "no.such"); len(got) != 0 {
		t.Fatalf("no match: %+v", got)
	}

	out, _, err := runCLI(t, "", append([]string{"audit", "list", "--client", cl.ClientID}, conn...)...)
	if err != nil || !strings.HasPrefix(out, "AT ") || !strings.Contains(out, "client.update") || !strings.Contains(out, "status=disabled") {
		t.Fatalf("table: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--until", "-1h"}, {"--limit", "-1"}} {
		if _, _, err := runCLI(t, "", append(append([]string{"audit", "list"}, bad...), conn...)...); err == nil {
			t.Errorf("audit list %v: no error", bad)
		}
	}
}

// serve wires the security-event aggregator: events reported to its observers are
// written as one row per group, at the latest when serve shuts down.
func TestServeAggregatesSecurityEventsAndFlushesOnShutdown(t *testing.T) {
	s := startServer(t)
	obs := s.app.securityObservers()
	for range 3 {
		obs.SecurityEvent(context.Background(), jeton.SecurityEvent{Kind: jeton.EventRateLimited, At: time.Now(),
			InstitutionID: "inst-a", ClientID: "client-a", Reason: "client"})
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(s.dataDir, "jeton.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ListAudit(context.Background(), jeton.AuditFilter{Action: string(jeton.EventRateLimited)})
	if err != nil || len(p.Events) != 1 || p.Events[0].Details["count"] != "3" || p.Events[0].Actor != jeton.ActorSystem {
		t.Fatalf("aggregated rows after shutdown: %+v, %v", p.Events, err)
	}
}

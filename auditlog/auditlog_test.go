package auditlog_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/auditlog"
	"github.com/jeton/jeton/storetest"
	"github.com/jeton/jeton/storetest/stores"
)

var t0 = time.Date(2031, 5, 17, 10, 0, 0, 0, time.UTC)

func refused(inst, client, reason string, at time.Time) jeton.SecurityEvent {
	return jeton.SecurityEvent{Kind: jeton.EventReplayRefused, At: at, InstitutionID: inst, ClientID: client, Reason: reason}
}

// rows lists every aggregated row, newest first.
func rows(t *testing.T, s jeton.Store) []jeton.AuditEvent {
	t.Helper()
	p, err := s.ListAudit(t.Context(), jeton.AuditFilter{Actor: jeton.ActorSystem, Limit: 1000})
	storetest.OK(t, "list", err)
	return p.Events
}

// TestAggregator runs on both stores: the rows are real audit rows.
func TestAggregator(t *testing.T) {
	stores.Both(t, []storetest.Case[jeton.Store]{
		{Name: "TenThousandRefusalsAreOneRow", Run: func(t *testing.T, s jeton.Store) {
			a := auditlog.New(auditlog.Config{Store: s})
			var wg sync.WaitGroup
			for w := range 50 {
				wg.Go(func() {
					for i := range 200 {
						a.SecurityEvent(t.Context(), refused("inst-a", "client-a", "assertion_jti", t0.Add(time.Duration(w*200+i)*time.Millisecond)))
					}
				})
			}
			wg.Wait()
			storetest.OK(t, "flush", a.Flush(t.Context()))
			got := rows(t, s)
			if len(got) != 1 {
				t.Fatalf("%d rows, want 1", len(got))
			}
			r := got[0]
			want := map[string]string{"count": "10000", "first": t0.Format(time.RFC3339Nano),
				"last": t0.Add(9999 * time.Millisecond).Format(time.RFC3339Nano), "reason": "assertion_jti",
				"window": "1m0s", "client_id": "client-a"}
			storetest.Same(t, "details", r.Details, want)
			if r.Action != "replay.refused" || r.InstitutionID != "inst-a" || !r.At.Equal(t0.Add(9999*time.Millisecond)) {
				t.Errorf("row %+v", r)
			}
			// Nothing new: the next flush writes nothing.
			storetest.OK(t, "flush", a.Flush(t.Context()))
			if n := len(rows(t, s)); n != 1 {
				t.Fatalf("an empty flush wrote rows: %d", n)
			}
		}},
		{Name: "OneRowPerGroupAndWindow", Run: func(t *testing.T, s jeton.Store) {
			a := auditlog.New(auditlog.Config{Store: s})
			for _, e := range []jeton.SecurityEvent{
				refused("inst-a", "client-a", "code", t0), refused("inst-a", "client-a", "code", t0.Add(time.Second)),
				refused("inst-a", "client-b", "code", t0), refused("inst-b", "client-a", "code", t0),
				refused("inst-a", "client-a", "par", t0),
				{Kind: jeton.EventRateLimited, At: t0, InstitutionID: "inst-a", ClientID: "client-a", Reason: "client"},
			} {
				a.SecurityEvent(t.Context(), e)
			}
			storetest.OK(t, "flush", a.Flush(t.Context()))
			a.SecurityEvent(t.Context(), refused("inst-a", "client-a", "code", t0.Add(time.Minute)))
			storetest.OK(t, "flush", a.Flush(t.Context()))
			counts := map[string]string{}
			for _, r := range rows(t, s) {
				counts[fmt.Sprintf("%s %s %s %s %s", r.Action, r.InstitutionID, r.Details["client_id"], r.Details["reason"], r.At.Format("04:05"))] = r.Details["count"]
			}
			storetest.Same(t, "rows", counts, map[string]string{
				"replay.refused inst-a client-a code 00:01":      "2",
				"replay.refused inst-a client-b code 00:00":      "1",
				"replay.refused inst-b client-a code 00:00":      "1",
				"replay.refused inst-a client-a par 00:00":       "1",
				"ratelimit.tripped inst-a client-a client 00:00": "1",
				"replay.refused inst-a client-a code 01:00":      "1", // the next window
			})
		}},
		{Name: "EventsWithTheirOwnRowAreLeftOut", Run: func(t *testing.T, s jeton.Store) {
			a := auditlog.New(auditlog.Config{Store: s})
			for _, e := range []jeton.SecurityEvent{
				{Kind: jeton.EventLockout, At: t0, Subject: "cust-1"},
				{Kind: jeton.EventClientDisabled, At: t0, ClientID: "client-a"},
				{Kind: jeton.EventFamilyRevoked, At: t0, Reason: "reuse"},
				{Kind: jeton.EventKeyRotated, At: t0, Reason: "admin"},
				{Kind: jeton.EventFamilyRevoked, At: t0, Reason: "code_replay", Subject: "cust-1"},
				{Kind: jeton.EventKeyRotated, At: t0, Reason: "schedule"},
			} {
				a.SecurityEvent(t.Context(), e)
			}
			storetest.OK(t, "flush", a.Flush(t.Context()))
			var got []string
			for _, r := range rows(t, s) {
				got = append(got, r.Action+" "+r.Details["reason"]+" "+r.Subject)
			}
			want := []string{"family.revoked code_replay cust-1"}
			if len(got) != 1 || got[0] != want[0] {
				t.Fatalf("rows %q, want %q", got, want)
			}
		}},
		{Name: "BoundedGroupsOverflowIntoOneRow", Run: func(t *testing.T, s jeton.Store) {
			a := auditlog.New(auditlog.Config{Store: s, MaxGroups: 3})
			for i := range 10 { // made-up client ids, as an attacker would send
				a.SecurityEvent(t.Context(), jeton.SecurityEvent{Kind: jeton.EventRateLimited, At: t0,
					InstitutionID: "inst-a", ClientID: fmt.Sprintf("made-up-%d-%0200d", i, 0), Reason: "failed_auth_client", Subject: fmt.Sprint(i)})
			}
			storetest.OK(t, "flush", a.Flush(t.Context()))
			got := rows(t, s)
			var overflow, total int
			for _, r := range got {
				var n int
				fmt.Sscan(r.Details["count"], &n)
				total += n
				if len(r.Details["client_id"]) > 128 {
					t.Errorf("client id of %d bytes kept", len(r.Details["client_id"]))
				}
				if r.Details["overflow"] == "true" {
					overflow++
					if r.InstitutionID != "" || r.Details["client_id"] != "" || r.Details["subjects"] != "several" || n != 7 {
						t.Errorf("overflow row %+v", r)
					}
				}
			}
			if len(got) != 4 || overflow != 1 || total != 10 {
				t.Fatalf("%d rows (%d overflow) counting %d events, want 3 + 1 counting 10", len(got), overflow, total)
			}
		}},
		{Name: "AFailedFlushIsRetried", Run: func(t *testing.T, s jeton.Store) {
			flaky := &flakyStore{Appender: s, fail: 1}
			a := auditlog.New(auditlog.Config{Store: flaky})
			a.SecurityEvent(t.Context(), refused("inst-a", "client-a", "code", t0))
			if err := a.Flush(t.Context()); err == nil {
				t.Fatal("the failed write was not reported")
			}
			a.SecurityEvent(t.Context(), refused("inst-a", "client-a", "code", t0.Add(time.Second)))
			storetest.OK(t, "flush", a.Flush(t.Context()))
			got := rows(t, s)
			if len(got) != 1 || got[0].Details["count"] != "2" || got[0].Details["first"] != t0.Format(time.RFC3339Nano) {
				t.Fatalf("rows after a retry %+v", got)
			}
		}},
		{Name: "RunFlushesEachWindowAndShutdownFlushesTheRest", Run: func(t *testing.T, s jeton.Store) {
			a := auditlog.New(auditlog.Config{Store: s, Window: 20 * time.Millisecond})
			ctx, stop := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() { a.Run(ctx); close(done) }()
			a.SecurityEvent(t.Context(), refused("inst-a", "client-a", "code", t0))
			deadline := time.Now().Add(5 * time.Second)
			for len(rows(t, s)) == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			stop()
			<-done
			a.SecurityEvent(t.Context(), refused("inst-a", "client-a", "code", t0.Add(time.Hour))) // while draining
			storetest.OK(t, "shutdown flush", a.Flush(t.Context()))
			if n := len(rows(t, s)); n != 2 {
				t.Fatalf("%d rows, want the window's and the shutdown's", n)
			}
		}},
	})
}

// flakyStore fails its first fail appends.
type flakyStore struct {
	auditlog.Appender
	mu   sync.Mutex
	fail int
}

func (f *flakyStore) AppendAudit(ctx context.Context, e jeton.AuditEvent) error {
	f.mu.Lock()
	fail := f.fail > 0
	f.fail--
	f.mu.Unlock()
	if fail {
		return errors.New("database down")
	}
	return f.Appender.AppendAudit(ctx, e)
}

// blockedStore blocks every append until release is closed.
type blockedStore struct{ release chan struct{} }

func (b blockedStore) AppendAudit(ctx context.Context, _ jeton.AuditEvent) error {
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The request path never waits for the store: events are counted while a flush is
// stuck on a slow database.
func TestSecurityEventDoesNotWaitForTheStore(t *testing.T) {
	b := blockedStore{release: make(chan struct{})}
	a := auditlog.New(auditlog.Config{Store: b})
	a.SecurityEvent(t.Context(), refused("inst-a", "client-a", "code", t0))
	flushed := make(chan error)
	go func() { flushed <- a.Flush(t.Context()) }()
	counted := make(chan struct{})
	go func() {
		for i := range 1000 {
			a.SecurityEvent(t.Context(), refused("inst-a", fmt.Sprint(i), "code", t0))
		}
		close(counted)
	}()
	select {
	case <-counted:
	case <-time.After(5 * time.Second):
		t.Fatal("SecurityEvent waited for the stuck flush")
	}
	close(b.release)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
}

// Every kind the aggregator records, with any reason, is a listed audit action.
func TestRecordedKindsAreListedActions(t *testing.T) {
	for _, k := range jeton.SecurityEventKinds {
		for _, reason := range []string{"", "admin", "reuse", "schedule", "code_replay", "address"} {
			if e := (jeton.SecurityEvent{Kind: k, Reason: reason}); !auditlog.OwnRow(e) && !jeton.KnownAuditAction(string(k)) {
				t.Errorf("%s (%s) is recorded as action %q, which jeton.AuditActions does not list", k, reason, k)
			}
		}
	}
}

// BenchmarkSecurityEvent is the request path's cost of one event (an existing group).
func BenchmarkSecurityEvent(b *testing.B) {
	a := auditlog.New(auditlog.Config{Store: blockedStore{}})
	e := refused("inst-a", "client-a", "address", t0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.SecurityEvent(context.Background(), e)
		}
	})
}

package console_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// TestCustomerPagesAndUnlock pages through 25 customers 20 at a time, searches by
// prefix, and unlocks one, with the console user as the audit actor.
func TestCustomerPagesAndUnlock(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for i := range 25 {
		c := jeton.Customer{ID: fmt.Sprintf("c-%02d", i), InstitutionID: "inst-a", Username: fmt.Sprintf("user-%02d", i),
			PasswordHash: "x", Status: jeton.CustomerActive, CreatedAt: w.clock(), UpdatedAt: w.clock()}
		if i == 3 {
			c.FailedAttempts, c.LockedUntil = 5, w.clock().Add(10*60*1e9)
		}
		if err := w.store.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	b := w.signedIn("alice")
	rows := regexp.MustCompile(`<tr id="cust-`)
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	st, body := b.get("/console/customers")
	if st != http.StatusOK || len(rows.FindAllString(body, -1)) != 20 {
		t.Fatalf("first page: %d, %d rows", st, len(rows.FindAllString(body, -1)))
	}
	contains(t, "locked customer", body, "Locked until")
	m := next.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no next page")
	}
	_, body = b.get(html.UnescapeString(m[1]))
	if n := len(rows.FindAllString(body, -1)); n != 5 || !strings.Contains(body, "user-24") || strings.Contains(body, "user-00") {
		t.Fatalf("second page: %d rows", n)
	}
	_, body = b.get("/console/customers?q=user-1")
	if n := len(rows.FindAllString(body, -1)); n != 10 {
		t.Fatalf("prefix user-1: %d rows, want 10", n)
	}
	if st, _ := b.post("/console/customers/inst-a/c-03/unlock", url.Values{}); st != http.StatusOK {
		t.Fatalf("unlock: %d", st)
	}
	c, _ := w.store.GetCustomer(ctx, "inst-a", "c-03")
	if c.FailedAttempts != 0 || !c.LockedUntil.IsZero() {
		t.Fatalf("after unlock: %+v", c)
	}
	if st, _ := b.post("/console/customers/inst-a/c-04/password", url.Values{"password": {"short"}}); st != http.StatusUnprocessableEntity {
		t.Fatalf("short password: %d", st)
	}
	if st, _ := b.post("/console/customers/inst-a/c-04/password", url.Values{"password": {"a new long password"}}); st != http.StatusOK {
		t.Fatalf("reset password: %d", st)
	}
	page, _ := w.store.ListAudit(ctx, jeton.AuditFilter{InstitutionID: "inst-a"})
	events := page.Events
	var seen int
	for _, e := range events {
		if e.Action == "customer.unlock" || e.Action == "customer.password_set" {
			seen++
			if e.Actor != "console:alice" {
				t.Errorf("%s by %q", e.Action, e.Actor)
			}
		}
	}
	if seen != 2 {
		t.Errorf("%d customer audit events, want 2", seen)
	}
}

// TestAuditPages walks the audit log 20 events at a time with the store's cursor.
func TestAuditPages(t *testing.T) {
	w := newWorld(t)
	for i := range 25 {
		if err := w.store.AppendAudit(t.Context(), jeton.AuditEvent{ID: fmt.Sprintf("e-%02d", i), At: w.clock().Add(time.Duration(i) * time.Second),
			InstitutionID: "inst-a", Actor: "admin", Action: "test.event", Subject: fmt.Sprintf("s-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b := w.signedIn("alice")
	rows := regexp.MustCompile(`<code>s-\d\d</code>`)
	_, body := b.get("/console/audit?action=test.event")
	if n := len(rows.FindAllString(body, -1)); n != 20 || !strings.Contains(body, "s-24") {
		t.Fatalf("first page: %d rows", n)
	}
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no next page")
	}
	_, body = b.get(html.UnescapeString(m[1]))
	if n := len(rows.FindAllString(body, -1)); n != 5 || !strings.Contains(body, "s-00") || strings.Contains(body, "s-24") {
		t.Fatalf("second page: %d rows", n)
	}
}

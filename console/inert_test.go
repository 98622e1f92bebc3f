package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// evil is HTML and script that would run if a page wrote it unescaped, breaking out
// of an attribute first.
const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`

// inert fails the test if body holds evil's markup live.
func inert(t *testing.T, where, body string) {
	t.Helper()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Errorf("%s: HTML from a text field was rendered live", where)
	}
}

// TestHTMLInEveryTextFieldIsInert sends evil in every text field a page shows back
// (sign-in, searches and filters, the application, working hours and customer forms)
// and in stored values shown later (an application's name in the list and the audit
// log): html/template escapes each in its context, so none runs.
func TestHTMLInEveryTextFieldIsInert(t *testing.T) {
	w := newWorld(t)
	// The sign-in form shows the username back on a refusal.
	b := w.browser()
	b.get("/console/signin?next=" + url.QueryEscape(evil))
	st, body := b.post("/console/signin", url.Values{"username": {evil}, "password": {"x"}, "code": {"123456"}, "next": {evil}})
	if st != http.StatusUnauthorized {
		t.Fatalf("sign-in with HTML: %d", st)
	}
	inert(t, "sign-in", body)
	contains(t, "sign-in", body, "&lt;script&gt;")

	op := w.signedIn("olga")
	for _, p := range []string{"/console/apps?q=", "/console/customers?institution=inst-a&q=", "/console/audit?action=",
		"/console/customers?institution=", "/console/hours?institution=", "/console/apps?after="} {
		st, body := op.get(p + url.QueryEscape(evil))
		if st != http.StatusOK {
			t.Errorf("GET %s<evil>: %d", p, st)
		}
		inert(t, p, body)
	}
	// Forms that show their fields back when refused.
	_, body = op.post("/console/hours", url.Values{"institution": {"inst-a"}, "time_zone": {evil}, "windows": {evil}, "closed": {evil}})
	inert(t, "hours form", body)
	op.get("/console/apps/new")
	for _, f := range []url.Values{
		{"institution_id": {"inst-a"}, "name": {"ok"}, "grants": {"client_credentials"}, "scopes": {evil}},
		{"institution_id": {"inst-a"}, "name": {"ok"}, "grants": {evil}, "auth_method": {evil}},
		{"institution_id": {"inst-a"}, "name": {"ok"}, "grants": {"authorization_code"}, "scopes": {"a"}, "redirect_uris": {evil}},
	} {
		st, body := op.upload(f, "", nil)
		if st == http.StatusCreated {
			t.Errorf("created an application from %v", f)
		}
		inert(t, "new application form", body)
	}
	// A stored name, shown by the list, the app page and the audit log.
	st, body = op.upload(url.Values{"institution_id": {"inst-a"}, "name": {evil}, "grants": {"client_credentials"}, "scopes": {"a"}}, "", nil)
	if st != http.StatusCreated {
		t.Fatalf("create with an HTML name: %d", st)
	}
	inert(t, "app page", body)
	for _, p := range []string{"/console/apps", "/console/apps?q=script", "/console/audit", "/console/audit?action=client.create"} {
		_, body := op.get(p)
		inert(t, p, body)
	}
	// A customer's password form never shows the password back; the flash names the
	// customer only.
	if st, body := op.post("/console/customers/inst-a/nobody/password", url.Values{"password": {evil}}); st != http.StatusNotFound {
		t.Errorf("password of an unknown customer: %d", st)
	} else {
		inert(t, "customer password", body)
	}
}

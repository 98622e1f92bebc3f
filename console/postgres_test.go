package console_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jeton/jeton/storetest/stores"
)

// TestOnPostgres runs the console's single-use and isolation rules on PostgreSQL: a
// TOTP code is accepted once, a signed-out session is gone, and an institution admin
// gets 404 for another institution's application.
func TestOnPostgres(t *testing.T) {
	w := newWorldOn(t, stores.Postgres(t)(t))
	code := w.code("olga", 0)
	if st := w.browser().signIn("olga", userPassword, code); st != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", st)
	}
	if st := w.browser().signIn("olga", userPassword, code); st != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", st)
	}
	w.advance(30 * time.Second)
	op := w.signedIn("olga")
	op.get("/console/apps/new")
	_, body := op.upload(url.Values{"institution_id": {"inst-b"}, "name": {"B app"}, "grants": {"client_credentials"}}, "", nil)
	m := clientIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no app created")
	}
	alice := w.signedIn("alice")
	if st, _ := alice.get("/console/apps/" + m[1]); st != http.StatusNotFound {
		t.Errorf("institution admin opened another's app: %d", st)
	}
	if st, _ := alice.post("/console/apps/"+m[1]+"/secret", url.Values{}); st != http.StatusNotFound {
		t.Errorf("institution admin rotated another's secret: %d", st)
	}
	op.post("/console/signout", url.Values{})
	if st, _ := op.get("/console/apps"); st != http.StatusSeeOther {
		t.Errorf("signed-out session: %d", st)
	}
}

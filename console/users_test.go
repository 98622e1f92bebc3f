package console_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func TestConsoleUsersDisableEnable(t *testing.T) {
	w := newWorld(t)
	alice := w.signedIn("alice")
	op := w.signedIn("olga")
	aliceID, olgaID := w.users["alice"].User.ID, w.users["olga"].User.ID

	st, body := op.get("/console/users")
	if st != http.StatusOK {
		t.Fatalf("users page: %d", st)
	}
	contains(t, "users page", body, `id="user-alice"`)
	contains(t, "users page", body, "institution-admin")
	contains(t, "users page", body, "(you)")
	if st, _ := op.get("/console/users/" + aliceID + "/disable"); st != http.StatusOK {
		t.Fatalf("confirmation page: %d", st)
	}
	// Without the confirmation box: nothing changes.
	if st, _ := op.post("/console/users/"+aliceID+"/disable", url.Values{}); st != http.StatusUnprocessableEntity {
		t.Fatalf("disable unconfirmed: %d", st)
	}
	if st, _ := alice.get("/console/apps"); st != http.StatusOK {
		t.Fatalf("alice signed out by an unconfirmed disable: %d", st)
	}
	st, body = op.post("/console/users/"+aliceID+"/disable", url.Values{"confirm": {"yes"}})
	if st != http.StatusOK {
		t.Fatalf("disable: %d", st)
	}
	contains(t, "flash", body, "Console user alice was disabled")
	contains(t, "state", body, "Disabled since")
	// Her session ended at once, and she cannot sign in again.
	if st, _ := alice.get("/console/apps"); st != http.StatusSeeOther {
		t.Fatalf("disabled user's session: %d, want a redirect to sign-in", st)
	}
	if st := w.browser().signIn("alice", userPassword, w.code("alice", 0)); st != http.StatusUnauthorized {
		t.Fatalf("disabled user signed in: %d", st)
	}
	w.advance(30 * time.Second)
	// An operator cannot disable themself.
	if st, body := op.post("/console/users/"+olgaID+"/disable", url.Values{"confirm": {"yes"}}); st != http.StatusUnprocessableEntity {
		t.Fatalf("self-disable: %d %s", st, body)
	}
	if u, _ := w.store.GetConsoleUser(t.Context(), olgaID); u.Disabled() {
		t.Fatal("the operator disabled themself")
	}
	// Enable: she signs in again, and her last sign-in shows.
	op.get("/console/users/" + aliceID + "/enable")
	if st, _ := op.post("/console/users/"+aliceID+"/enable", url.Values{"confirm": {"yes"}}); st != http.StatusOK {
		t.Fatalf("enable: %d", st)
	}
	alice = w.signedIn("alice")
	u, _ := w.store.GetConsoleUser(t.Context(), aliceID)
	if u.Disabled() || u.LastSignInAt.IsZero() {
		t.Fatalf("after enable and sign-in: %+v", u)
	}
	// An institution admin: 404 by URL and for a replayed operator form.
	for _, p := range []string{"/console/users", "/console/users/" + olgaID + "/disable"} {
		if st, _ := alice.get(p); st != http.StatusNotFound {
			t.Errorf("institution admin GET %s: %d, want 404", p, st)
		}
	}
	if st, _ := alice.post("/console/users/"+olgaID+"/disable", url.Values{"confirm": {"yes"}}); st != http.StatusNotFound {
		t.Errorf("institution admin replayed a disable form: %d, want 404", st)
	}
	if u, _ := w.store.GetConsoleUser(t.Context(), olgaID); u.Disabled() {
		t.Fatal("an institution admin disabled an operator")
	}
	// Unknown user and unknown operation: 404.
	if st, _ := op.get("/console/users/nobody/disable"); st != http.StatusNotFound {
		t.Errorf("unknown user: %d", st)
	}
	if st, _ := op.post("/console/users/"+aliceID+"/delete", url.Values{"confirm": {"yes"}}); st != http.StatusNotFound {
		t.Errorf("unknown operation: %d", st)
	}
	// Audited with the console user as actor.
	page, err := w.store.ListAudit(t.Context(), jeton.AuditFilter{Action: jeton.ActionConsoleUserDisable})
	if err != nil || len(page.Events) != 1 || page.Events[0].Actor != "console:olga" || page.Events[0].Subject != aliceID {
		t.Fatalf("disable audit: %+v %v", page.Events, err)
	}
	page, _ = w.store.ListAudit(t.Context(), jeton.AuditFilter{Action: jeton.ActionConsoleUserEnable})
	if len(page.Events) != 1 || page.Events[0].Actor != "console:olga" {
		t.Fatalf("enable audit: %+v", page.Events)
	}
}

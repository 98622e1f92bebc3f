package console_test

import (
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/jeton/jeton/console"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// notePage is an extension page: the console user's audit actor, and a form.
const notePage = `{{define "content"}}{{$csrf := .CSRF}}<p id="note">{{.Data.Actor}}</p>
<form method="post" action="/console/x/demo/note"><input type="hidden" name="csrf" value="{{$csrf}}"><button>{{t "demo.go"}}</button></form>{{end}}`

func demoExtension(posted *atomic.Int32) console.Extension {
	return console.Extension{Name: "demo", Nav: "demo.nav",
		Templates: fstest.MapFS{"note.html": {Data: []byte(notePage)}},
		Strings:   map[string]string{"demo.nav": "Demo", "demo.note.title": "A note", "demo.go": "Go"},
		Routes: func(r *console.Routes) {
			r.Handle("GET /note/{inst}", func(q *console.Request) {
				if !q.CanSee(q.R.PathValue("inst")) {
					q.NotFound()
					return
				}
				q.Render(http.StatusOK, "note", struct{ Actor string }{q.Actor()})
			})
			r.Handle("POST /note", func(q *console.Request) {
				posted.Add(1)
				q.Redirect("/console/x/demo/note/inst-a")
			})
		}}
}

// TestExtensionPages: a module's pages get the console's layout, navigation, session,
// CSRF check and roles; a malformed extension fails console.New.
func TestExtensionPages(t *testing.T) {
	var posted atomic.Int32
	w := newWorldOn(t, sqlitetest.New(t), demoExtension(&posted))
	alice := w.signedIn("alice")
	st, body := alice.get("/console/x/demo/note/inst-a")
	if st != http.StatusOK {
		t.Fatalf("extension page: %d", st)
	}
	contains(t, "actor", body, `<p id="note">console:alice</p>`)
	contains(t, "title", body, "<title>A note · jeton console</title>")
	contains(t, "navigation", body, `<a href="/console/x/demo/" aria-current="page">Demo</a>`)
	if st, _ := alice.get("/console/x/demo/note/inst-b"); st != http.StatusNotFound {
		t.Errorf("another institution's page: %d, want 404", st)
	}
	if st, _ := alice.post("/console/x/demo/note", url.Values{"csrf": {"forged"}}); st != http.StatusForbidden || posted.Load() != 0 {
		t.Errorf("POST with a forged CSRF token: %d, handler ran %d times", st, posted.Load())
	}
	if st, _ := alice.post("/console/x/demo/note", url.Values{}); st != http.StatusSeeOther || posted.Load() != 1 {
		t.Errorf("POST with the CSRF token: %d, handler ran %d times", st, posted.Load())
	}
	if st, _ := w.browser().get("/console/x/demo/note/inst-a"); st != http.StatusSeeOther {
		t.Errorf("signed out: %d, want a redirect to sign-in", st)
	}

	page := fstest.MapFS{"p.html": {Data: []byte(`{{define "content"}}{{t "bad.missing"}}{{end}}`)}}
	ok := fstest.MapFS{"p.html": {Data: []byte(`{{define "content"}}x{{end}}`)}}
	for name, ext := range map[string]console.Extension{
		"name not lowercase letters": {Name: "Bad1", Templates: ok},
		"no pages":                   {Name: "bad", Templates: fstest.MapFS{}},
		"a missing string":           {Name: "bad", Templates: page},
		"a string outside its names": {Name: "bad", Templates: ok, Strings: map[string]string{"apps.title": "Mine"}},
		"a taken string":             {Name: "demo", Templates: ok, Strings: map[string]string{"demo.nav": "Other"}},
		"a broken template":          {Name: "bad", Templates: fstest.MapFS{"p.html": {Data: []byte(`{{define "content"}}{{end`)}}},
	} {
		if _, err := console.New(console.Config{Extensions: []console.Extension{ext}}); err == nil {
			t.Errorf("%s: console.New accepted the extension", name)
		}
	}
}

package console

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/jeton/jeton"
)

// Extension is a vendor module's part of the console, registered through
// module.ConsolePages (the core names no vendor). Its pages live under
// /console/x/<Name>/ and are rendered in the console's layout with the console's
// session, CSRF check (every POST), roles, audit actor and string table.
type Extension struct {
	// Name is the URL segment and the prefix of the extension's string keys and
	// page names: lowercase letters only.
	Name string
	// Nav is the string key of the extension's entry in the navigation (its
	// first page, /console/x/<Name>/); "" for none.
	Nav string
	// Templates holds the pages, one *.html each defining "content" (the console's
	// "choose" and "cursor" templates may be used). A page's title is the string
	// "<Name>.<page>.title" unless its data has a PageTitle method.
	Templates fs.FS
	// Strings are the extension's English strings, every key starting "<Name>.":
	// added to the console's one table (a key the table has already is an error).
	Strings map[string]string
	// Routes adds the extension's handlers.
	Routes func(r *Routes)
}

// Routes registers an extension's handlers.
type Routes struct {
	s   *Server
	ext string
}

// Handle serves pattern ("GET /apps/{id}", relative to /console/x/<Name>) for
// signed-in users; h gets the request's console user through q.
func (rt *Routes) Handle(pattern string, h func(q *Request)) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || !strings.HasPrefix(path, "/") {
		panic("console: extension route " + pattern + " needs a method and a path")
	}
	s, ext := rt.s, rt.ext
	s.mux.HandleFunc(method+" /console/x/"+ext+path, s.authed(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		h(&Request{W: w, R: r, s: s, v: v, ext: ext})
	}))
}

// Request is a console request handed to an extension's handler.
type Request struct {
	W   http.ResponseWriter
	R   *http.Request
	s   *Server
	v   *viewer
	ext string
}

// Actor is the audit actor of the console user's changes: "console:<username>".
func (q *Request) Actor() string { return q.v.Actor() }

// UserID is the console user's id.
func (q *Request) UserID() string { return q.v.User.ID }

// Operator reports whether the console user runs every institution.
func (q *Request) Operator() bool { return q.v.Operator() }

// CanSee reports whether the console user may see and change institutionID's data.
func (q *Request) CanSee(institutionID string) bool { return q.v.CanSee(institutionID) }

// Institution is the institution the page works on: an institution admin's own, or
// the one an operator picked (?institution=, default the first). For an operator,
// all lists the institutions to choose from (render it with the "choose" template
// and the returned Choice).
func (q *Request) Institution() (Choice, error) {
	c, err := q.s.chooseInstitution(q.R, q.v)
	return Choice(c), err
}

// Choice is the institution of a page and, for an operator, the ones to choose from.
type Choice struct {
	All      []jeton.Institution
	Selected string
}

// Issuer is jeton's public base URL (for the copy-paste requests of a page).
func (q *Request) Issuer() string { return strings.TrimRight(q.s.cfg.Issuer, "/") }

// Render answers the extension's page name (its file without .html) with data.
func (q *Request) Render(status int, name string, data any) {
	q.s.render(q.W, q.R, status, q.ext+"/"+name, q.v, data)
}

// NotFound is the console's one 404: for what does not exist and for what the user
// may not see alike.
func (q *Request) NotFound() { q.s.notFound(q.W, q.R, q.v) }

// ServerError logs err and answers 500.
func (q *Request) ServerError(err error) { q.s.serverError(q.W, q.R, err) }

// Redirect answers 303 See Other to a path of the console.
func (q *Request) Redirect(path string) { http.Redirect(q.W, q.R, path, http.StatusSeeOther) }

var (
	extNameRE = regexp.MustCompile(`^[a-z]+$`)
	keyRE     = regexp.MustCompile(`\bt "([a-zA-Z.]+)"|\btf "([a-zA-Z.]+)"`)
	stringsMu sync.RWMutex
)

// addExtension parses ext's pages into s and adds its strings and routes.
func (s *Server) addExtension(ext Extension) error {
	if !extNameRE.MatchString(ext.Name) {
		return fmt.Errorf("console: extension name %q: lowercase letters only", ext.Name)
	}
	if err := addStrings(ext.Name, ext.Strings); err != nil {
		return err
	}
	names, err := fs.Glob(ext.Templates, "*.html")
	if err != nil || len(names) == 0 {
		return fmt.Errorf("console: extension %s has no pages", ext.Name)
	}
	for _, n := range names {
		src, err := fs.ReadFile(ext.Templates, n)
		if err != nil {
			return err
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(src), -1) {
			if !IsStringKey(m[1] + m[2]) {
				return fmt.Errorf("console: extension %s page %s names the missing string %q", ext.Name, n, m[1]+m[2])
			}
		}
		t, err := template.New(n).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/choose.html", "templates/pager.html")
		if err == nil {
			_, err = t.Parse(string(src))
		}
		if err != nil {
			return fmt.Errorf("console: extension %s page %s: %w", ext.Name, n, err)
		}
		s.pages[ext.Name+"/"+strings.TrimSuffix(n, ".html")] = t
	}
	if ext.Nav != "" {
		s.nav = append(s.nav, navEntry{Ext: ext.Name, Label: T(ext.Nav), Href: "/console/x/" + ext.Name + "/"})
	}
	if ext.Routes != nil {
		ext.Routes(&Routes{s: s, ext: ext.Name})
	}
	return nil
}

// navEntry is an extension's link in the navigation.
type navEntry struct{ Ext, Label, Href string }

// addStrings adds an extension's strings to the table; the same key with the same
// text again (a second console in one process) is no change.
func addStrings(ext string, m map[string]string) error {
	stringsMu.Lock()
	defer stringsMu.Unlock()
	for k, v := range m {
		if !strings.HasPrefix(k, ext+".") {
			return fmt.Errorf("console: extension %s string %q must start with %q", ext, k, ext+".")
		}
		if old, ok := strings_[k]; ok && old != v {
			return fmt.Errorf("console: extension %s string %q is taken", ext, k)
		}
	}
	for k, v := range m {
		strings_[k] = v
	}
	return nil
}

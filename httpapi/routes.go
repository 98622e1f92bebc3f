package httpapi

import (
	"net/http"
	"strings"
)

// routes names every pattern registered on a handler's mux for the metrics' route
// label: "<dialect>:<path>", the path as the dialect wrote it relative to its mount
// prefix, without the method. A route has one label whatever listener serves it and
// under whatever prefix (CardCore's token endpoint is "cardcore:/institutions/oauth/token"
// under --cardcore-prefix on the public listener and at the root of --cardcore-addr),
// and a label never holds raw input: a request no pattern matched is "unmatched".
type routes map[string]string

// recorder registers on mux and names each route of the dialect name mounted at prefix.
func (rs routes) recorder(mux *http.ServeMux, name, prefix string) Router {
	return recorder{mux: mux, routes: rs, name: name, prefix: prefix}
}

type recorder struct {
	mux          *http.ServeMux
	routes       routes
	name, prefix string
}

func (r recorder) Handle(pattern string, h http.Handler) {
	r.routes[pattern] = r.label(pattern)
	r.mux.Handle(pattern, h)
}

func (r recorder) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	r.routes[pattern] = r.label(pattern)
	r.mux.HandleFunc(pattern, f)
}

// label turns a ServeMux pattern ("[METHOD ][HOST]/PATH") into the route label.
func (r recorder) label(pattern string) string {
	p := pattern
	if _, rest, ok := strings.Cut(p, " "); ok {
		p = strings.TrimLeft(rest, " \t")
	}
	if i := strings.IndexByte(p, '/'); i > 0 {
		p = p[i:] // drop a host
	}
	p = strings.TrimPrefix(p, r.prefix)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return r.name + ":" + p
}

// label is the route label of the pattern a request matched ("" when none did). A
// handler built without routes (the admin listener's Middleware) labels each matched
// route "other".
func (rs routes) label(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if l, ok := rs[pattern]; ok {
		return l
	}
	return "other"
}

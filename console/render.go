package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// pages are the parsed templates: the layout with one page each.
type pages map[string]*template.Template

var funcs = template.FuncMap{
	"t":    T,
	"tf":   func(key string, args ...any) string { return fmt.Sprintf(T(key), args...) },
	"join": strings.Join,
	"ts":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"add":  func(a, b int) int { return a + b },
}

func parsePages() (pages, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := pages{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "choose" || base == "pager" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/choose.html", "templates/pager.html", n)
		if err != nil {
			return nil, err
		}
		p[base] = t
	}
	return p, nil
}

// page is what the layout renders around a page's own data.
type page struct {
	V     *viewer
	Title string
	Nav   string
	CSRF  string
	Brand template.CSS // the institution's accent colour, validated
	Flash string
	Data  any
	Ext   []navEntry // the extensions' navigation entries
}

// InExt reports whether the page is one of extension ext's.
func (p page) InExt(ext string) bool { return strings.HasPrefix(p.Nav, ext+"/") }

// hexColour is the only form of brand colour put into a style attribute.
var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// render writes the page name with data; the institution admin's brand colour (or the
// default) themes the header.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v *viewer, data any) {
	p := page{V: v, Title: T(strings.ReplaceAll(name, "/", ".") + ".title"), Nav: name, Data: data, Brand: "#1d4ed8", Ext: s.nav}
	if v != nil {
		p.CSRF = v.Session.CSRF
		if v.User.InstitutionID != "" {
			if b, err := s.cfg.Store.GetBranding(r.Context(), v.User.InstitutionID); err == nil && hexColour.MatchString(b.AccentColor) {
				p.Brand = template.CSS(b.AccentColor)
			}
		}
	}
	if t, ok := data.(interface{ PageTitle() string }); ok {
		p.Title = t.PageTitle()
	}
	if f, ok := data.(interface{ FlashText() string }); ok {
		p.Flash = f.FlashText()
	}
	var buf bytes.Buffer
	t := s.pages[name]
	if t == nil {
		s.serverError(w, r, fmt.Errorf("console: no template %q", name))
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "console: render", "page", name, "err", err)
		http.Error(w, T("error.server"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct{ Message string }

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.render(w, r, http.StatusNotFound, "error", v, errorData{T("error.notfound")})
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusForbidden, "error", nil, errorData{T("error.forbidden")})
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.ErrorContext(r.Context(), "console", "path", r.URL.Path, "err", err)
	s.render(w, r, http.StatusInternalServerError, "error", nil, errorData{T("error.server")})
}

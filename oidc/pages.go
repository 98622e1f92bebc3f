package oidc

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/rar"
	"github.com/jeton/jeton/reqlog"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type pages struct{ login, consent, error *template.Template }

func loadPages() (*pages, error) {
	parse := func(name string) (*template.Template, error) {
		return template.ParseFS(templateFS, "templates/layout.html", "templates/"+name)
	}
	var p pages
	var err error
	if p.login, err = parse("login.html"); err != nil {
		return nil, err
	}
	if p.consent, err = parse("consent.html"); err != nil {
		return nil, err
	}
	if p.error, err = parse("error.html"); err != nil {
		return nil, err
	}
	return &p, nil
}

// staticHandler serves the one stylesheet, cacheable for a day.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsh := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsh.ServeHTTP(w, r)
	})
}

// brand is what every page shows of the institution.
type brand struct {
	Name    string
	LogoURL string
	Accent  string
}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// brandOf reads the institution's branding; without one, its name and jeton's colour.
func (h *Handler) brandOf(r *http.Request, institutionID string) brand {
	b := brand{Accent: "#1f5fbf"}
	if in, err := h.cfg.Store.GetInstitution(r.Context(), institutionID); err == nil {
		b.Name = in.Name
	}
	if br, err := h.cfg.Store.GetBranding(r.Context(), institutionID); err == nil {
		if br.DisplayName != "" {
			b.Name = br.DisplayName
		}
		if strings.HasPrefix(br.LogoURL, "https://") {
			b.LogoURL = br.LogoURL
		}
		if hexColour.MatchString(br.AccentColor) {
			b.Accent = br.AccentColor
		}
	}
	return b
}

// pageData is every template's input.
type pageData struct {
	Brand      brand
	StyleNonce string
	Static     string
	Action     string
	CSRF       string
	ClientName string
	LoginHint  string
	Message    string
	Scopes     []string
	// Details are the RFC 9396 authorization_details in the customer's words.
	Details []rar.Entry
}

// render writes a page with the security headers of issue 4: a strict CSP (the accent
// colour is the only inline style, allowed by nonce), no framing, no referrer, no
// caching. formAction is where the page's form may post and, for Chrome, where the
// answer may redirect (CSP form-action covers redirects after a submission).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, d pageData, formAction string) {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	d.StyleNonce = base64.RawStdEncoding.EncodeToString(nonce[:])
	d.Static = h.cfg.Issuer + StaticPath
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		reqlog.From(r.Context()).Err = jeton.ServerError(err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'nonce-"+d.StyleNonce+
		"'; img-src 'self' https:; form-action 'self'"+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// origin is the scheme://host of a redirect URI, for form-action.
func origin(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return ""
	}
	return " " + u.Scheme + "://" + u.Host
}

// showLogin renders the login page with a fresh session cookie.
func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, c *jeton.Client, sess *session, msg string, now time.Time) {
	if err := h.cookies.write(w, sess, now); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, h.pages.login, pageData{
		Brand: h.brandOf(r, c.InstitutionID), Action: h.cfg.Issuer + LoginPath, CSRF: sess.CSRF,
		ClientName: c.Name, LoginHint: sess.Pending.LoginHint, Message: msg,
	}, origin(sess.Pending.RedirectURI))
}

// showConsent renders the consent page: the app's name and the scopes in plain words.
func (h *Handler) showConsent(w http.ResponseWriter, r *http.Request, c *jeton.Client, sess *session, now time.Time) {
	if err := h.cookies.write(w, sess, now); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, h.pages.consent, pageData{
		Brand: h.brandOf(r, c.InstitutionID), Action: h.cfg.Issuer + ConsentPath, CSRF: sess.CSRF,
		ClientName: c.Name, Scopes: describeScopes(sess.Pending.Scope), Details: rar.Describe(sess.Pending.Details),
	}, origin(sess.Pending.RedirectURI))
}

// errorPage is jeton's own error page, for errors that must not go to the client.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, h.pages.error, pageData{Brand: brand{Name: "Sign-in", Accent: "#1f5fbf"}, Message: msg}, "")
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *jeton.Error
	if !errors.As(err, &pe) {
		pe = jeton.ServerError(err)
	}
	reqlog.From(r.Context()).Err = pe
	h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again later.")
}

// scopeWords says what each scope lets the app do, in plain words.
var scopeWords = map[string]string{
	jeton.ScopeOpenID:        "Know who you are at the bank (a customer identifier)",
	jeton.ScopeProfile:       "See your name and basic profile details",
	jeton.ScopeEmail:         "See your email address",
	jeton.ScopePhone:         "See your phone number",
	jeton.ScopeOfflineAccess: "Keep access while you are not using the app, until you withdraw it",
}

func describeScopes(scope []string) []string {
	out := make([]string, 0, len(scope))
	for _, s := range scope {
		if w, ok := scopeWords[s]; ok {
			out = append(out, w)
		} else {
			out = append(out, "Use the “"+s+"” service on your behalf")
		}
	}
	return out
}

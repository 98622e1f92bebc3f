package console

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
)

// pageSize is how many rows a list page shows.
const pageSize = 20

type appListData struct {
	Q     string
	Apps  []jeton.Client
	Pager cursor
	Flash string
}

func (d appListData) FlashText() string { return d.Flash }

// scope is the institution the viewer's lists are limited to ("" for an operator: all).
func scope(v *viewer) string {
	if v.Operator() {
		return ""
	}
	return v.User.InstitutionID
}

func (s *Server) appList(w http.ResponseWriter, r *http.Request, v *viewer) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	after, hasAfter := parseCursor(r.URL.Query().Get("after"))
	// Keyset paging in the store: a page reads pageSize+1 rows, however many apps exist.
	apps, err := s.cfg.Store.SearchClients(r.Context(), scope(v), q, after, pageSize+1)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := appListData{Q: q, Apps: apps}
	link := func(after string) string { return "/console/apps?" + urlValues("q", q, "after", after) }
	if hasAfter {
		d.Pager.First = link("")
	}
	if len(apps) > pageSize {
		d.Apps = apps[:pageSize]
		d.Pager.Next = link(cursorOf(apps[pageSize-1]))
	}
	if r.URL.Query().Get("deleted") != "" {
		d.Flash = T("app.deleted")
	}
	s.render(w, r, http.StatusOK, "apps", v, d)
}

// cursorOf is the position after c in the apps list: its creation time and id.
func cursorOf(c jeton.Client) string {
	return strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "." + c.ID
}

func parseCursor(s string) (jeton.Client, bool) {
	micros, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" {
		return jeton.Client{}, false
	}
	return jeton.Client{ID: id, CreatedAt: time.UnixMicro(n).UTC()}, true
}

// client loads the app named in the URL if the viewer may see it; anything else is
// the same 404, so an institution admin learns nothing of another's applications.
func (s *Server) client(w http.ResponseWriter, r *http.Request, v *viewer) (jeton.Client, bool) {
	c, err := s.cfg.Store.GetClient(r.Context(), r.PathValue("id"))
	if errors.Is(err, jeton.ErrNotFound) || (err == nil && !v.CanSee(c.InstitutionID)) {
		s.notFound(w, r, v)
		return c, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return c, false
	}
	return c, true
}

type appData struct {
	App        jeton.Client
	Secret     string // a secret just issued, shown once
	TokenURL   string
	Request    string
	Operations bool
	Error      string // a refused change
}

func (d appData) PageTitle() string { return d.App.Name }

func (s *Server) appData(c jeton.Client, secret string) appData {
	tokenURL := strings.TrimRight(s.cfg.Issuer, "/") + "/oauth2/token"
	return appData{App: c, Secret: secret, TokenURL: tokenURL, Request: exampleRequest(c, tokenURL),
		Operations: c.Status != jeton.ClientDeleted}
}

// exampleRequest is a copy-paste client_credentials request (RFC 6749 §4.4.2) in the
// standard dialect for the client's authentication method.
func exampleRequest(c jeton.Client, tokenURL string) string {
	scope := ""
	if len(c.Scopes) > 0 {
		scope = " \\\n  -d scope=" + shellQuote(strings.Join(c.Scopes, " "))
	}
	switch c.AuthMethod {
	case jeton.AuthSecretPost:
		return "curl " + tokenURL + " \\\n  -d grant_type=client_credentials \\\n  -d client_id=" + c.ID + " \\\n  -d client_secret=\"$CLIENT_SECRET\"" + scope
	case jeton.AuthPrivateKey, jeton.AuthSecretJWT:
		return "curl " + tokenURL + " \\\n  -d grant_type=client_credentials \\\n  -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\\n  -d client_assertion=\"$SIGNED_JWT\"" + scope
	}
	return "curl " + tokenURL + " \\\n  -u " + c.ID + ":\"$CLIENT_SECRET\" \\\n  -d grant_type=client_credentials" + scope
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (s *Server) appPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c, ok := s.client(w, r, v); ok {
		s.render(w, r, http.StatusOK, "app", v, s.appData(c, ""))
	}
}

// appRotate issues a new secret through the clients service and shows it once.
func (s *Server) appRotate(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := s.client(w, r, v)
	if !ok {
		return
	}
	grace, _ := strconv.ParseInt(r.PostFormValue("grace"), 10, 64)
	ch, err := s.cfg.Clients.RotateSecret(r.Context(), v.Actor(), c.ID, max(grace, 0))
	if err != nil {
		s.changeError(w, r, v, c, err)
		return
	}
	s.render(w, r, http.StatusOK, "app", v, s.appData(ch.Client, ch.Secret))
}

// appStatus disables or enables the app through the clients service.
func (s *Server) appStatus(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := s.client(w, r, v)
	if !ok {
		return
	}
	st := jeton.ClientStatus(r.PostFormValue("status"))
	if st != jeton.ClientActive && st != jeton.ClientDisabled {
		s.notFound(w, r, v)
		return
	}
	if _, err := s.cfg.Clients.Update(r.Context(), v.Actor(), c.ID, clients.Update{Status: &st}); err != nil {
		s.changeError(w, r, v, c, err)
		return
	}
	http.Redirect(w, r, "/console/apps/"+c.ID, http.StatusSeeOther)
}

type deleteData struct{ App jeton.Client }

func (d deleteData) PageTitle() string { return T("app.delete.title") }

func (s *Server) appDeleteConfirm(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c, ok := s.client(w, r, v); ok {
		s.render(w, r, http.StatusOK, "delete", v, deleteData{App: c})
	}
}

// appDelete deletes (soft) through the clients service, only with the confirmation
// box ticked.
func (s *Server) appDelete(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := s.client(w, r, v)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.render(w, r, http.StatusUnprocessableEntity, "delete", v, deleteData{App: c})
		return
	}
	if err := s.cfg.Clients.Delete(r.Context(), v.Actor(), c.ID); err != nil {
		s.changeError(w, r, v, c, err)
		return
	}
	http.Redirect(w, r, "/console/apps?deleted=1", http.StatusSeeOther)
}

// changeError answers a refused change on the app page.
func (s *Server) changeError(w http.ResponseWriter, r *http.Request, v *viewer, c jeton.Client, err error) {
	var fe *clients.FieldError
	var ce *clients.ConflictError
	switch {
	case errors.As(err, &fe) || errors.As(err, &ce):
		d := s.appData(c, "")
		d.Error = err.Error()
		s.render(w, r, http.StatusUnprocessableEntity, "app", v, d)
	case errors.Is(err, jeton.ErrNotFound):
		s.notFound(w, r, v)
	default:
		s.serverError(w, r, err)
	}
}

func urlValues(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[i] + "=" + queryEscape(kv[i+1]))
	}
	return b.String()
}

var grantChoices = jeton.Grants()

var authChoices = []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthSecretPost, jeton.AuthPrivateKey, jeton.AuthSecretJWT, jeton.AuthNone}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

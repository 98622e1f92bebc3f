package cardcoremod

import (
	"embed"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/console"
	"github.com/jeton/jeton/dialect/cardcore"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
)

//go:embed console/*.html
var consoleFiles embed.FS

// ConsoleStrings are the English strings of CardCore's console pages, whether the
// dialect is on or not (tests read the keys to tell them from audit actions).
func (m *Module) ConsoleStrings() map[string]string { return consoleStrings }

// ConsolePages are CardCore's pages in the web console (module.ConsolePages): an
// institution's CardCore applications, listed, created with their key upload,
// shown with their client ID and institutionId, and deleted, through the dialect's
// own application management (cardcore.Dialect.CreateApp and the others), as
// CardCore's management endpoints allow. None while the dialect is off.
func (m *Module) ConsolePages() []console.Extension {
	if m.dialect == nil {
		return nil
	}
	pages, _ := fs.Sub(consoleFiles, "console")
	p := &consolePages{d: m.dialect, tokenURL: m.tokenURL}
	return []console.Extension{{Name: "cardcore", Nav: "cardcore.nav", Templates: pages, Strings: m.ConsoleStrings(),
		Routes: func(r *console.Routes) {
			r.Handle("GET /{$}", p.list)
			r.Handle("GET /new", p.newPage)
			r.Handle("POST /apps", p.create)
			r.Handle("GET /apps/{inst}/{key}", p.appPage)
			r.Handle("GET /apps/{inst}/{key}/delete", p.deleteConfirm)
			r.Handle("POST /apps/{inst}/{key}/delete", p.remove)
		}}}
}

// consolePages serve the extension's routes over the dialect's service methods.
type consolePages struct {
	d        *cardcore.Dialect
	tokenURL string // the dialect's token endpoint on the public listener
}

// pageSize is how many applications a list page shows, as the console's lists.
const pageSize = 20

// maxKeyFile bounds an uploaded key or certificate: a PEM certificate chain is a few KiB.
const maxKeyFile = 64 << 10

type listData struct {
	Choice console.Choice
	Apps   []cardcore.Listed
	Pager  struct{ First, Next string }
	Flash  string
}

func (d listData) FlashText() string { return d.Flash }

func (p *consolePages) list(q *console.Request) {
	ch, err := q.Institution()
	if err != nil {
		q.ServerError(err)
		return
	}
	d := listData{Choice: ch}
	if q.R.URL.Query().Get("deleted") != "" {
		d.Flash = console.T("cardcore.list.deleted")
	}
	if ch.Selected != "" && q.CanSee(ch.Selected) {
		after := q.R.URL.Query().Get("after")
		apps, err := p.d.ListApps(q.R.Context(), ch.Selected, after, pageSize+1)
		if err != nil {
			q.ServerError(err)
			return
		}
		link := func(after string) string {
			v := url.Values{"institution": {ch.Selected}}
			if after != "" {
				v.Set("after", after)
			}
			return "/console/x/cardcore/?" + v.Encode()
		}
		if after != "" {
			d.Pager.First = link("")
		}
		if len(apps) > pageSize {
			apps = apps[:pageSize]
			d.Pager.Next = link(apps[pageSize-1].App.Key)
		}
		d.Apps = apps
	}
	q.Render(http.StatusOK, "list", d)
}

type newData struct {
	Institutions []jeton.Institution
	Fixed        string // an institution admin's own institution
	Institution  string
	In           cardcore.AppInput
	Scopes       string
	Errors       map[string]string
}

func (d newData) Err(field string) string { return d.Errors[field] }

func (p *consolePages) newData(q *console.Request) (newData, error) {
	d := newData{Errors: map[string]string{}}
	ch, err := q.Institution()
	if err != nil {
		return d, err
	}
	d.Institutions, d.Institution = ch.All, ch.Selected
	if !q.Operator() {
		d.Fixed = ch.Selected
	}
	return d, nil
}

func (p *consolePages) newPage(q *console.Request) {
	d, err := p.newData(q)
	if err != nil {
		q.ServerError(err)
		return
	}
	q.Render(http.StatusOK, "new", d)
}

// create registers an application through cardcore.Dialect.CreateApp, with the
// console user as actor. The institution is checked against the user's: a replayed
// form naming another institution changes nothing and answers 404.
func (p *consolePages) create(q *console.Request) {
	d, err := p.newData(q)
	if err != nil {
		q.ServerError(err)
		return
	}
	r := q.R
	inst := r.PostFormValue("institution_id")
	if !q.CanSee(inst) {
		q.NotFound()
		return
	}
	d.Institution = inst
	d.Scopes = r.PostFormValue("scopes")
	d.In = cardcore.AppInput{Name: strings.TrimSpace(r.PostFormValue("name")), Description: r.PostFormValue("description"),
		Scopes: strings.Fields(d.Scopes), WebsiteURL: strings.TrimSpace(r.PostFormValue("website_url")),
		IconURL: strings.TrimSpace(r.PostFormValue("icon_url")), IsOfficial: r.PostFormValue("is_official") == "yes"}
	key, msg := uploadedKey(r)
	if msg != "" {
		d.Errors["public_key"] = msg
		q.Render(http.StatusUnprocessableEntity, "new", d)
		return
	}
	d.In.PublicKey = key
	who := cardcore.ConsoleActor(inst, q.UserID(), q.Actor())
	c, app, err := p.d.CreateApp(r.Context(), who, d.In)
	if msg, ok := cardcore.InputError(err); ok {
		d.Errors[fieldOf(msg)] = msg
		q.Render(http.StatusUnprocessableEntity, "new", d)
		return
	}
	if errors.Is(err, jeton.ErrNotFound) {
		d.Errors["institution_id"] = console.T("cardcore.error.institution")
		q.Render(http.StatusUnprocessableEntity, "new", d)
		return
	}
	if err != nil {
		q.ServerError(err)
		return
	}
	q.Render(http.StatusCreated, "app", p.appData(c, app, true))
}

// fieldOf is the form field a refusal of cardcore's rules names (its messages start
// with the JSON field).
func fieldOf(msg string) string {
	for prefix, field := range map[string]string{"name": "name", "description": "description", "websiteUrl": "website_url",
		"iconUrl": "icon_url", "scopes": "scopes", "publicKey": "public_key"} {
		if strings.HasPrefix(msg, prefix) {
			return field
		}
	}
	return "name"
}

// uploadedKey reads the key or certificate file; cardcore's rules judge its content.
// The message is for the form ("" when the file was read).
func uploadedKey(r *http.Request) (string, string) {
	f, h, err := r.FormFile("public_key")
	if errors.Is(err, http.ErrMissingFile) {
		return "", console.T("cardcore.error.nokey")
	}
	if err != nil {
		return "", console.T("cardcore.error.unreadable")
	}
	defer f.Close()
	if h.Size > maxKeyFile {
		return "", console.T("cardcore.error.toolarge")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	switch {
	case err != nil:
		return "", console.T("cardcore.error.unreadable")
	case len(b) > maxKeyFile:
		return "", console.T("cardcore.error.toolarge")
	case len(b) == 0:
		return "", console.T("cardcore.error.nokey")
	}
	return string(b), ""
}

type appData struct {
	Client        jeton.Client
	App           cardcorestore.App
	TokenURL      string
	Sign, Request string
	Created       bool
}

func (d appData) PageTitle() string { return d.Client.Name }

func (p *consolePages) appData(c jeton.Client, app cardcorestore.App, created bool) appData {
	iss := app.WebsiteURL
	sign := "jeton assertion sign --key key.pem --client-id " + c.ID + " \\\n  --iss " + shellQuote(iss) + " --aud " + p.tokenURL
	req := "ASSERTION=$(" + strings.ReplaceAll(sign, "\n", "\n  ") + ")\n" +
		"curl " + p.tokenURL + " -H 'Content-Type: application/json' \\\n" +
		"  --data '{\"grant_type\":\"client_credentials\",\"institutionId\":\"" + app.Key + "\",\"client_id\":\"" + c.ID + "\",\n" +
		"   \"client_assertion_type\":\"" + cardcore.AssertionType + "\",\n" +
		"   \"client_assertion\":\"'\"$ASSERTION\"'\"}'"
	return appData{Client: c, App: app, TokenURL: p.tokenURL, Sign: sign, Request: req, Created: created}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// app loads the application of the URL if the console user may see its institution;
// anything else is the console's one 404.
func (p *consolePages) app(q *console.Request) (jeton.Client, cardcorestore.App, bool) {
	inst := q.R.PathValue("inst")
	if !q.CanSee(inst) {
		q.NotFound()
		return jeton.Client{}, cardcorestore.App{}, false
	}
	c, app, err := p.d.App(q.R.Context(), inst, q.R.PathValue("key"))
	if cardcore.NotFound(err) {
		q.NotFound()
		return c, app, false
	}
	if err != nil {
		q.ServerError(err)
		return c, app, false
	}
	return c, app, true
}

func (p *consolePages) appPage(q *console.Request) {
	if c, app, ok := p.app(q); ok {
		q.Render(http.StatusOK, "app", p.appData(c, app, false))
	}
}

type deleteData struct {
	Client jeton.Client
	App    cardcorestore.App
}

func (p *consolePages) deleteConfirm(q *console.Request) {
	if c, app, ok := p.app(q); ok {
		q.Render(http.StatusOK, "delete", deleteData{c, app})
	}
}

// remove soft-deletes the application through cardcore.Dialect.DeleteApp once the
// box is ticked.
func (p *consolePages) remove(q *console.Request) {
	c, app, ok := p.app(q)
	if !ok {
		return
	}
	if q.R.PostFormValue("confirm") != "yes" {
		q.Render(http.StatusUnprocessableEntity, "delete", deleteData{c, app})
		return
	}
	_, _, err := p.d.DeleteApp(q.R.Context(), cardcore.ConsoleActor(app.InstitutionID, q.UserID(), q.Actor()), app.Key)
	if cardcore.NotFound(err) {
		q.NotFound()
		return
	}
	if err != nil {
		q.ServerError(err)
		return
	}
	q.Redirect("/console/x/cardcore/?" + url.Values{"institution": {app.InstitutionID}, "deleted": {"1"}}.Encode())
}

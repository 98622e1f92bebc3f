package console

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
)

// maxKeyFile bounds an uploaded key or certificate: a PEM certificate chain is a few KiB.
const maxKeyFile = 64 << 10

type newAppData struct {
	Institutions []jeton.Institution
	Fixed        string // the institution admin's own institution
	In           clients.Input
	Scopes       string
	Redirects    string
	Errors       map[string]string // by form field
	Grants       []string
	Auths        []jeton.AuthMethod
}

func (d newAppData) Err(field string) string { return d.Errors[field] }
func (d newAppData) HasGrant(g string) bool  { return contains(d.In.Grants, g) }

func (s *Server) newAppData(r *http.Request, v *viewer) (newAppData, error) {
	d := newAppData{Errors: map[string]string{}, Grants: grantChoices, Auths: authChoices}
	if !v.Operator() {
		d.Fixed = v.User.InstitutionID
		return d, nil
	}
	insts, err := s.cfg.Store.ListInstitutions(r.Context())
	d.Institutions = insts
	return d, err
}

func (s *Server) appNew(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, err := s.newAppData(r, v)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d.In.Grants = []string{jeton.GrantClientCredentials}
	s.render(w, r, http.StatusOK, "new", v, d)
}

// appCreate registers an application through the clients service. The institution is
// the viewer's own for an institution admin, whatever the form says: a replayed form
// naming another institution is refused as unknown.
func (s *Server) appCreate(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, err := s.newAppData(r, v)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	in := clients.Input{
		InstitutionID: r.PostFormValue("institution_id"),
		Name:          strings.TrimSpace(r.PostFormValue("name")),
		AuthMethod:    jeton.AuthMethod(r.PostFormValue("auth_method")),
		Grants:        r.PostForm["grants"],
		Scopes:        strings.Fields(r.PostFormValue("scopes")),
		RedirectURIs:  strings.Fields(r.PostFormValue("redirect_uris")),
	}
	d.In, d.Scopes, d.Redirects = in, r.PostFormValue("scopes"), r.PostFormValue("redirect_uris")
	if !v.CanSee(in.InstitutionID) {
		s.notFound(w, r, v)
		return
	}
	key, err := uploadedKey(r)
	if err != nil {
		d.Errors["key"] = err.Error()
		s.render(w, r, http.StatusUnprocessableEntity, "new", v, d)
		return
	}
	if key != nil {
		in.PublicKeys = []jeton.ClientKey{*key}
	}
	ch, err := s.cfg.Clients.Create(r.Context(), v.Actor(), in)
	var fe *clients.FieldError
	switch {
	case errors.As(err, &fe):
		d.Errors[formField(fe.Field)] = fe.Message
		s.render(w, r, http.StatusUnprocessableEntity, "new", v, d)
		return
	case errors.Is(err, jeton.ErrNotFound):
		d.Errors["institution_id"] = "unknown institution"
		s.render(w, r, http.StatusUnprocessableEntity, "new", v, d)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusCreated, "app", v, s.appData(ch.Client, ch.Secret))
}

// formField maps a clients.FieldError's field ("public_keys[0].n") to the form field
// that shows it.
func formField(f string) string {
	switch base, _, _ := strings.Cut(f, "["); base {
	case "public_keys", "jwks_uri":
		return "key"
	case "name", "grants", "auth_method", "scopes", "redirect_uris", "institution_id":
		return base
	case "default_scopes":
		return "scopes"
	}
	return "name"
}

// uploadedKey reads the optional key file: a PEM public key or a PEM certificate; any
// other file is refused here with a message for the form.
func uploadedKey(r *http.Request) (*jeton.ClientKey, error) {
	f, h, err := r.FormFile("key")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.New("the file could not be read")
	}
	defer f.Close()
	return readKey(f, h)
}

func readKey(f multipart.File, h *multipart.FileHeader) (*jeton.ClientKey, error) {
	if h.Size > maxKeyFile {
		return nil, errors.New("the file is too large: a key or certificate is at most 64 KiB")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil || len(b) > maxKeyFile {
		return nil, errors.New("the file is too large: a key or certificate is at most 64 KiB")
	}
	switch {
	case len(b) == 0:
		return nil, nil
	case bytes.Contains(b, []byte("-----BEGIN CERTIFICATE-----")):
		return &jeton.ClientKey{Format: jeton.KeyX509, Data: string(b)}, nil
	case bytes.Contains(b, []byte("-----BEGIN PUBLIC KEY-----")):
		return &jeton.ClientKey{Format: jeton.KeyPEM, Data: string(b)}, nil
	}
	return nil, errors.New("not a PEM public key or certificate: upload a file that begins with -----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----")
}

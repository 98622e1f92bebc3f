package cardcore

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
	"github.com/jeton/jeton/token"
)

// createBody is POST /institutions/oauth/create. Every field is required (the
// vendor's contract); unknown ones are errors (DESIGN rule 4, admin input).
type createBody struct {
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	PublicKey   *string  `json:"publicKey"`
	Scopes      []string `json:"scopes"`
	GrantType   *string  `json:"grantType"`
	WebsiteURL  *string  `json:"websiteUrl"`
	IconURL     *string  `json:"iconUrl"`
	IsOfficial  *bool    `json:"isOfficial"`
}

// updateBody is PUT /institutions/oauth/{institutionId}: the fields sent are changed.
type updateBody struct {
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	WebsiteURL  *string  `json:"websiteUrl"`
	Scopes      []string `json:"scopes"`
}

// Field bounds of application management.
const (
	maxNameLen = 200
	maxDescLen = 2000
	maxURLLen  = 2048
)

// create is POST /institutions/oauth/create: a private_key_jwt client with CardCore's
// grants (client_credentials with a refresh token, refresh_token without rotation, so
// the one refresh token keeps working as CardCore's answers assume) and its
// application row.
func (d *Dialect) create(w http.ResponseWriter, r *http.Request) {
	k, err := d.caller(r)
	if err != nil {
		writeAPIError(w, r, err)
		return
	}
	var in createBody
	if err := decodeStrict(r, &in); err != nil {
		writeAPIError(w, r, err)
		return
	}
	if err := in.complete(); err != nil {
		writeAPIError(w, r, err)
		return
	}
	c, app, err := d.CreateApp(r.Context(), KeyActor(k), AppInput{Name: *in.Name, Description: *in.Description,
		PublicKey: *in.PublicKey, Scopes: in.Scopes, WebsiteURL: *in.WebsiteURL, IconURL: *in.IconURL, IsOfficial: *in.IsOfficial})
	if err != nil {
		writeAPIError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, envelope{StatusCode: http.StatusCreated, Message: CreatedMessage, Data: viewOf(c, app)})
}

// complete refuses a create body without one of its fields (the vendor's contract:
// every field is required) or with another grant than client_credentials.
func (in createBody) complete() error {
	missing := []struct {
		name   string
		absent bool
	}{{"name", in.Name == nil}, {"description", in.Description == nil}, {"publicKey", in.PublicKey == nil},
		{"scopes", in.Scopes == nil}, {"grantType", in.GrantType == nil}, {"websiteUrl", in.WebsiteURL == nil},
		{"iconUrl", in.IconURL == nil}, {"isOfficial", in.IsOfficial == nil}}
	for _, f := range missing {
		if f.absent {
			return badInput(f.name + " is required")
		}
	}
	if *in.GrantType != jeton.GrantClientCredentials {
		return badInput("grantType must be client_credentials")
	}
	return nil
}

func (d *Dialect) newApp(who Actor, in AppInput) (jeton.Client, cardcorestore.App, error) {
	scopes := in.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	if err := checkFields(&in.Name, &in.Description, &in.WebsiteURL, scopes); err != nil {
		return jeton.Client{}, cardcorestore.App{}, err
	}
	if err := checkURL("iconUrl", in.IconURL); err != nil {
		return jeton.Client{}, cardcorestore.App{}, err
	}
	key, subject, err := registeredKey(in.PublicKey, d.cfg.MinRSABits)
	if err != nil {
		return jeton.Client{}, cardcorestore.App{}, badInput(err.Error())
	}
	now := d.cfg.Now().UTC().Truncate(time.Millisecond)
	c := jeton.Client{
		ID: jeton.NewID(), InstitutionID: who.InstitutionID, Name: in.Name, Status: jeton.ClientActive,
		AuthMethod: jeton.AuthPrivateKey, PublicKeys: []jeton.ClientKey{key},
		Institutions: []string{who.InstitutionID}, RefreshRotationOff: true,
		Grants: []string{jeton.GrantClientCredentials, jeton.GrantRefreshToken},
		Scopes: in.Scopes, DefaultScopes: in.Scopes, TokenFormat: jeton.FormatJWT, SigningAlg: "ES256",
		AccessTokenTTL: d.cfg.AccessTokenTTL, RefreshTokenTTL: d.cfg.RefreshTokenTTL, CreatedAt: now, UpdatedAt: now,
	}
	app := cardcorestore.App{
		ClientID: c.ID, InstitutionID: who.InstitutionID, Key: jeton.NewID(), RecordID: cardcorestore.NewRecordID(),
		InstitutionRecordID: cardcorestore.NewRecordID(), CreatedBy: who.UserID, Description: in.Description,
		WebsiteURL: in.WebsiteURL, IconURL: in.IconURL, Subject: subject, IsOfficial: in.IsOfficial,
		CreatedAt: now, UpdatedAt: now,
	}
	return c, app, nil
}

// update is PUT /institutions/oauth/{institutionId}.
func (d *Dialect) update(w http.ResponseWriter, r *http.Request) {
	k, c, app, err := d.ownApp(r)
	if err != nil {
		writeAPIError(w, r, err)
		return
	}
	var in updateBody
	if err := decodeStrict(r, &in); err != nil {
		writeAPIError(w, r, err)
		return
	}
	if err := checkFields(in.Name, in.Description, in.WebsiteURL, in.Scopes); err != nil {
		writeAPIError(w, r, err)
		return
	}
	ctx := r.Context()
	now := d.cfg.Now().UTC().Truncate(time.Millisecond)
	before := appState(c, app)
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Description != nil {
		app.Description = *in.Description
	}
	if in.WebsiteURL != nil {
		app.WebsiteURL = *in.WebsiteURL
	}
	if in.Scopes != nil {
		c.Scopes, c.DefaultScopes = in.Scopes, in.Scopes
	}
	c.UpdatedAt, app.UpdatedAt = now, now
	if err := d.check(ctx, &c); err != nil {
		writeAPIError(w, r, err)
		return
	}
	err = d.cfg.Store.UpdateCardCoreApp(ctx, c, app, d.event(ctx, KeyActor(k), ActionAppUpdate, c.ID, before, appState(c, app)))
	if errors.Is(err, jeton.ErrNotFound) {
		err = errNotFound // deleted meanwhile
	}
	if err != nil {
		writeAPIError(w, r, err)
		return
	}
	d.changed(c.ID)
	writeJSON(w, http.StatusOK, envelope{StatusCode: http.StatusOK, Message: UpdatedMessage, Data: viewOf(c, app)})
}

// rules are the core's client rules as CardCore's contract needs them: its
// applications get a refresh token with client_credentials.
var rules = clients.Rules{RefreshWithClientCredentials: true}

// check runs the core's validation of a client (the admin API's) after CardCore's own
// field checks, whose answers come first; what only the core refuses is answered as
// CardCore's invalid_request, naming the field.
func (d *Dialect) check(ctx context.Context, c *jeton.Client) error {
	err := d.cfg.Clients.Check(ctx, c, rules)
	var fe *clients.FieldError
	if errors.As(err, &fe) {
		return badInput(fe.Error())
	}
	return err
}

// checkFields validates the fields create and update share; nil ones are absent.
func checkFields(name, desc, website *string, scopes []string) error {
	switch {
	case name != nil && (strings.TrimSpace(*name) == "" || len(*name) > maxNameLen):
		return badInput("name must be 1 to 200 characters")
	case desc != nil && len(*desc) > maxDescLen:
		return badInput("description must be at most 2000 characters")
	case scopes != nil && (len(scopes) == 0 || len(scopes) > token.MaxScopes):
		return badInput("scopes must list 1 to 100 scopes")
	}
	for _, s := range scopes {
		if !token.ValidScopeToken(s) {
			return badInput("scopes: " + jsonQuote(s) + " is not a scope token (RFC 6749 §3.3)")
		}
	}
	if website != nil {
		return checkURL("websiteUrl", *website)
	}
	return nil
}

// checkURL requires an absolute http(s) URL.
func checkURL(field, v string) error {
	u, err := url.Parse(v)
	if err != nil || len(v) > maxURLLen || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return badInput(field + " must be an absolute http(s) URL")
	}
	return nil
}

func jsonQuote(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// decodeStrict reads one JSON object of at most MaxBodySize bytes into v, refusing
// unknown fields and wrong types with a message that names the field.
func decodeStrict(r *http.Request, v any) error {
	body, err := readJSON(r)
	if err != nil {
		_, msg := answer(jeton.AsError(err))
		return badInput(msg)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return badInput(te.Field + " has the wrong type")
	case err != nil && strings.HasPrefix(err.Error(), "json: unknown field "):
		return badInput(strings.TrimPrefix(err.Error(), "json: ") + " (not part of the request)")
	case err != nil:
		return badInput("request body must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badInput("request body must be one JSON object")
	}
	return nil
}

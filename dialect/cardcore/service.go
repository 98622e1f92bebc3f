package cardcore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
)

// Application management as a service: the dialect's management endpoints and the
// web console's CardCore pages (cardcoremod) both call these methods, so every rule,
// cache invalidation and audit event is the same whoever asks (one path to the store).

// Actor is who changes an institution's applications: an institution key (the
// management endpoints) or a console user (the console's pages).
type Actor struct {
	InstitutionID string
	// Audit is the audit actor: "institution-key:<key id>" or "console:<username>".
	Audit string
	// UserID is the 24-hex record id of the institution user (an application's
	// createdBy).
	UserID string
}

// KeyActor is the actor of a call authenticated by the institution key k.
func KeyActor(k cardcorestore.InstitutionKey) Actor {
	return Actor{InstitutionID: k.InstitutionID, Audit: "institution-key:" + k.ID, UserID: k.UserID}
}

// ConsoleActor is the actor of a console user (audit actor "console:<username>",
// consoleUserID their id) working on institutionID's applications. Their record id is
// derived from their id, so each console user stays one createdBy.
func ConsoleActor(institutionID, consoleUserID, auditActor string) Actor {
	d := sha256.Sum256([]byte("cardcore console user " + consoleUserID))
	return Actor{InstitutionID: institutionID, Audit: auditActor, UserID: hex.EncodeToString(d[:12])}
}

// AppInput is a new application: CardCore's create body, every field given.
type AppInput struct {
	Name, Description, PublicKey string
	Scopes                       []string
	WebsiteURL, IconURL          string
	IsOfficial                   bool
}

// CreateApp registers a private_key_jwt client with CardCore's grants and its
// application row, for who's institution (rules of POST /institutions/oauth/create).
func (d *Dialect) CreateApp(ctx context.Context, who Actor, in AppInput) (jeton.Client, cardcorestore.App, error) {
	c, app, err := d.newApp(who, in)
	if err == nil {
		err = d.check(ctx, &c)
	}
	if err != nil {
		return c, app, err
	}
	if err := d.cfg.Store.CreateCardCoreApp(ctx, c, app, d.event(ctx, who, ActionAppCreate, c.ID, nil, appState(c, app))); err != nil {
		return c, app, err
	}
	d.changed(c.ID)
	app, err = d.cfg.Store.GetCardCoreApp(ctx, c.ID) // the stored institution record id
	return c, app, err
}

// App returns institutionID's live application with key and its client; any other
// (another institution's, deleted, malformed) is not found (NotFound).
func (d *Dialect) App(ctx context.Context, institutionID, key string) (jeton.Client, cardcorestore.App, error) {
	if !isHex(key, 32) {
		return jeton.Client{}, cardcorestore.App{}, errNotFound
	}
	app, err := d.cfg.Store.GetCardCoreAppByKey(ctx, institutionID, key)
	switch {
	case errors.Is(err, jeton.ErrNotFound) || (err == nil && app.Deleted):
		return jeton.Client{}, app, errNotFound
	case err != nil:
		return jeton.Client{}, app, err
	}
	c, err := d.cfg.Store.GetClient(ctx, app.ClientID)
	return c, app, err
}

// Listed is an application with its client (which holds its name and scopes).
type Listed struct {
	Client jeton.Client
	App    cardcorestore.App
}

// ListApps pages institutionID's live applications by key, at most limit of them.
func (d *Dialect) ListApps(ctx context.Context, institutionID, after string, limit int) ([]Listed, error) {
	apps, err := d.cfg.Store.ListCardCoreApps(ctx, institutionID, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, len(apps))
	for i, a := range apps {
		c, err := d.cfg.Store.GetClient(ctx, a.ClientID)
		if err != nil {
			return nil, err
		}
		out[i] = Listed{Client: c, App: a}
	}
	return out, nil
}

// DeleteApp soft-deletes who's institution's live application with key (rules of
// DELETE /institutions/oauth/{institutionId}).
func (d *Dialect) DeleteApp(ctx context.Context, who Actor, key string) (jeton.Client, cardcorestore.App, error) {
	c, app, err := d.App(ctx, who.InstitutionID, key)
	if err != nil {
		return c, app, err
	}
	return d.deleteApp(ctx, who, c, app)
}

// deleteApp marks app and its client c deleted, in one transaction with its event;
// the application's tokens then fail introspection at once.
func (d *Dialect) deleteApp(ctx context.Context, who Actor, c jeton.Client, app cardcorestore.App) (jeton.Client, cardcorestore.App, error) {
	now := d.cfg.Now()
	gone, goneApp := c, app
	gone.Status, goneApp.Deleted = jeton.ClientDeleted, true
	ev := d.event(ctx, who, ActionAppDelete, app.ClientID, appState(c, app), appState(gone, goneApp))
	clientID, err := d.cfg.Store.DeleteCardCoreApp(ctx, who.InstitutionID, app.Key, now, ev)
	if errors.Is(err, jeton.ErrNotFound) {
		err = errNotFound // deleted by a concurrent request
	}
	if err != nil {
		return c, app, err
	}
	d.changed(clientID)
	c, err = d.cfg.Store.GetClient(ctx, clientID)
	app.Deleted, app.UpdatedAt = true, now
	return c, app, err
}

// InputError returns the message of an error that refuses the caller's input (a 400
// of the management endpoints), and whether err is one.
func InputError(err error) (string, bool) {
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusBadRequest {
		return ae.msg, true
	}
	return "", false
}

// NotFound reports whether err means the application does not exist for the caller.
func NotFound(err error) bool {
	return errors.Is(err, errNotFound) || errors.Is(err, jeton.ErrNotFound)
}

// TokenURL is the dialect's token endpoint under base (the public URL and prefix).
func TokenURL(base string) string { return base + TokenPath }

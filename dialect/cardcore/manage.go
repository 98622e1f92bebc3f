package cardcore

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
	"github.com/jeton/jeton/reqlog"
)

// Answers of application management.
const (
	CreatedMessage = "Institution OAuth created successfully."
	UpdatedMessage = "Institution OAuth updated successfully"
	DeletedMessage = "Oauth Application deleted"
	notFoundMsg    = "Institution OAuth not found"
)

// Store is what application management reads and writes: the core's clients and
// audit log, and CardCore's own records.
type Store interface {
	jeton.ClientStore
	jeton.AuditStore
	cardcorestore.Store
}

// apiError is a management answer other than success: HTTP status, message and a
// short error code, in the envelope.
type apiError struct {
	status int
	msg    string
	code   string
}

func (e *apiError) Error() string { return e.msg }

func badInput(msg string) *apiError { return &apiError{http.StatusBadRequest, msg, "invalid_request"} }

var errNotFound = &apiError{http.StatusNotFound, notFoundMsg, "not_found"}

// writeAPIError answers err; anything but an *apiError is a 500 whose cause goes to
// the log only.
func writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		reqlog.From(r.Context()).Err = jeton.ServerError(err)
		ae = &apiError{http.StatusInternalServerError, "internal server error", "server_error"}
	}
	writeJSON(w, ae.status, envelope{StatusCode: ae.status, Message: ae.msg, Error: ae.code})
}

// caller authenticates an institution-scoped admin key (Authorization: Bearer, RFC
// 6750 §2.1); only its digest is stored, so one lookup by digest is the comparison.
func (d *Dialect) caller(r *http.Request) (cardcorestore.InstitutionKey, error) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" || len(key) > 256 {
		return cardcorestore.InstitutionKey{}, &apiError{http.StatusUnauthorized, "an institution key is required: Authorization: Bearer <key>", "unauthorized"}
	}
	k, err := d.cfg.Store.GetInstitutionKey(r.Context(), jeton.Digest(key))
	switch {
	case errors.Is(err, jeton.ErrNotFound) || (err == nil && !k.RevokedAt.IsZero()):
		return k, &apiError{http.StatusUnauthorized, "the institution key is unknown or revoked", "unauthorized"}
	case err != nil:
		return k, err
	}
	return k, nil
}

// ownApp authenticates the caller and finds its live application named by the path's
// institutionId; any other (another institution's, deleted, malformed) is 404, never
// 403, so ids do not leak between institutions.
func (d *Dialect) ownApp(r *http.Request) (cardcorestore.InstitutionKey, jeton.Client, cardcorestore.App, error) {
	k, err := d.caller(r)
	if err != nil {
		return k, jeton.Client{}, cardcorestore.App{}, err
	}
	c, app, err := d.App(r.Context(), k.InstitutionID, strings.ToLower(r.PathValue("institutionId")))
	return k, c, app, err
}

// event is the audit event of a change who makes to clientID's application, from
// before to after (appState; nil for none); the store writes it in the change's own
// transaction.
func (d *Dialect) event(ctx context.Context, who Actor, action, clientID string, before, after any) jeton.AuditEvent {
	return jeton.AuditEvent{ID: jeton.NewID(), At: d.cfg.Now(), InstitutionID: who.InstitutionID,
		Actor: who.Audit, Action: action, Subject: clientID,
		Details: reqlog.AuditDetails(ctx, jeton.AuditChange(before, after))}
}

// appState is what an audit event shows of an application: its client's registration
// and its own descriptive fields (no key material beyond the public keys, no
// secrets). The institution record id is left out: a create only proposes one.
func appState(c jeton.Client, a cardcorestore.App) map[string]any {
	return map[string]any{"name": c.Name, "status": c.Status, "scopes": c.Scopes, "public_keys": c.PublicKeys,
		"key": a.Key, "record_id": a.RecordID, "description": a.Description, "website_url": a.WebsiteURL,
		"icon_url": a.IconURL, "subject": a.Subject, "is_official": a.IsOfficial, "is_verified": a.IsVerified,
		"deleted": a.Deleted}
}

// changed drops an application's cached copies after a change.
func (d *Dialect) changed(clientID string) {
	d.cfg.Invalidate(clientID)
	d.cfg.Apps.Invalidate(clientID)
}

// remove is DELETE /institutions/oauth/{institutionId}: a soft delete (isDeleted),
// after which the application's tokens fail introspection at once (the client is
// deleted in the same transaction and dropped from the caches).
func (d *Dialect) remove(w http.ResponseWriter, r *http.Request) {
	k, c, app, err := d.ownApp(r)
	if err == nil {
		c, app, err = d.deleteApp(r.Context(), KeyActor(k), c, app)
	}
	if err != nil {
		writeAPIError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, envelope{StatusCode: http.StatusOK, Message: DeletedMessage, Data: viewOf(c, app)})
}

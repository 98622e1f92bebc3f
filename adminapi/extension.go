package adminapi

import (
	"context"
	"net/http"
	"time"

	"github.com/jeton/jeton"
)

// Routes adds a vendor module's routes to the admin API (Config.Routes), so the core
// names no vendor. They get what the built-in routes get: the bearer-token check,
// JSON error answers, the request log line and the audit log.
type Routes func(r Router)

// Handler is an admin handler: it writes a success answer itself and returns an error
// otherwise (an *APIError is answered as it is; anything else is a logged 500).
type Handler = func(w http.ResponseWriter, r *http.Request) error

// Router registers a module's routes and hands their handlers the admin API's store,
// clock and audit events.
type Router struct{ r router }

// Route registers one handler per method of path (a net/http pattern under /admin/v1/);
// other methods are a JSON 405.
func (r Router) Route(path string, hs map[string]Handler) {
	ms := make(methods, len(hs))
	for m, h := range hs {
		ms[m] = h
	}
	r.r.route(path, ms)
}

// Store is the admin API's store; a module asserts its own store interface on it.
func (r Router) Store() jeton.Store { return r.r.s.cfg.Store }

// Now is the admin API's clock at the precision both stores keep.
func (r Router) Now() time.Time { return r.r.s.now() }

// Event is the admin audit event of a change a module's route is about to make; the
// module hands it to its store's ...Audited method, which writes it in the change's
// own transaction (both or neither). details gain the request's client address.
func (r Router) Event(ctx context.Context, institutionID, action, subject string, details map[string]string) jeton.AuditEvent {
	return r.r.s.event(ctx, institutionID, action, subject, details)
}

// DecodeJSON reads one JSON object into dst; unknown fields are errors (DESIGN rule 4).
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error { return decodeJSON(w, r, dst) }

// DecodeOptionalJSON is DecodeJSON for routes whose every field is optional: an empty
// body means {}.
func DecodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeOptionalJSON(w, r, dst)
}

// WriteJSON answers v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// StoreError turns jeton.ErrNotFound and ErrConflict into answers naming what; other
// errors are returned unchanged (a logged 500).
func StoreError(err error, what string) error { return storeError(err, what) }

// FieldError is a 400 naming the offending input field.
func FieldError(field, format string, args ...any) *APIError {
	return fieldError(field, format, args...)
}

// Conflict is a 409.
func Conflict(format string, args ...any) *APIError { return conflict(format, args...) }

// NonNil returns s, or an empty slice for nil, so a list answers [] rather than null.
func NonNil[T any](s []T) []T { return nonNil(s) }

// Do sends one request to path (under the base URL) for a module's client
// methods; in (if not nil) is the JSON body, out (if not nil) receives the answer.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	return c.do(ctx, method, path, in, out)
}

// ClientPath is the admin API path of a client, for a module's routes below it.
func ClientPath(id string) string { return clientPath(id) }

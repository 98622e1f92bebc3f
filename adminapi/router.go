package adminapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jeton/jeton/reqlog"
)

// handlerFunc is an admin handler: it writes a success answer itself and returns an
// error otherwise, so that every error goes through one writer (writeError).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type methods map[string]handlerFunc

type router struct {
	mux *http.ServeMux
	s   *server
}

// route registers one handler per method of path, plus a method-less pattern that the
// mux picks only when no method matched, answering a JSON 405 with the Allow header
// (RFC 9110 §15.5.6). The mux's own 405 would be plain text.
func (r router) route(path string, ms methods) {
	allow := make([]string, 0, len(ms))
	for m, h := range ms {
		allow = append(allow, m)
		r.mux.Handle(m+" "+path, r.s.adapt(h))
	}
	slices.Sort(allow)
	r.mux.HandleFunc(path, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		r.s.writeError(w, req, &APIError{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
			Message: "method " + req.Method + " not allowed; allowed: " + strings.Join(allow, ", ")})
	})
}

// adapt runs h and writes its error, and logs one line per request. Only the method,
// the path (ids, never secrets: secrets travel in bodies only) and the outcome are logged.
func (s *server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		err := h(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.cfg.Logger.InfoContext(r.Context(), "admin request", "method", r.Method, "path", r.URL.Path,
			"duration", time.Since(start))
	})
}

// writeError answers err: an *APIError as it is, a refusal of the clients service as
// its APIError, anything else as a 500 whose cause
// goes only to the log (DESIGN rule 3).
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = serviceError(err)
	var ae *APIError
	if reqlog.ClientGone(r, err) {
		// The client hung up: nobody reads this answer, and the access log records the
		// request once, as a client-closed one (499), not as a server error.
		ae = &APIError{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}
	} else if !errors.As(err, &ae) {
		s.cfg.Logger.ErrorContext(r.Context(), "admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &APIError{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}
	} else {
		s.cfg.Logger.InfoContext(r.Context(), "admin request refused", "method", r.Method, "path", r.URL.Path,
			"status", ae.Status, "error", ae.Code, "field", ae.Field)
	}
	writeJSON(w, ae.Status, ErrorBody{Error: ae.Code, Message: ae.Message, Field: ae.Field})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing left to tell it
}

// decodeJSON reads exactly one JSON object of at most maxBody bytes into dst. Unknown
// fields are errors (DESIGN rule 4: a misspelt optional field must not be silently
// ignored in admin input), and so is anything after the object.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &APIError{Status: http.StatusUnsupportedMediaType, Code: CodeMediaType,
				Message: "Content-Type must be application/json"}
		}
	}
	if reqlog.DeclaresOver(r, maxBody) {
		return errTooLarge
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return badRequest("unexpected data after the JSON object")
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for routes whose every field is optional: an empty
// body means {}.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	if reqlog.DeclaresOver(r, maxBody) {
		return errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return jsonError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return decodeJSON(w, r, dst)
}

var errTooLarge = &APIError{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge,
	Message: "request body exceeds 64 KiB"}

// jsonError explains a decoding failure, naming the field where encoding/json says
// which one it was.
func jsonError(err error) error {
	var (
		mbe *http.MaxBytesError
		ute *json.UnmarshalTypeError
		se  *json.SyntaxError
	)
	switch {
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.As(err, &ute):
		if ute.Field == "" {
			return badRequest("request body must be a JSON object")
		}
		return fieldError(ute.Field, "must be %s, not a JSON %s", jsonKind(ute.Type.Kind().String()), ute.Value)
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: %v", err)
	case errors.Is(err, io.EOF):
		return badRequest("request body must be a JSON object")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return fieldError(name, "unknown field %q", name)
	}
	return badRequest("invalid JSON: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	case "ptr":
		return "a value"
	}
	return "a number"
}

package adminapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
)

// Error codes of the admin API (the "error" member of ErrorBody).
const (
	CodeInvalidField     = "invalid_field"      // 400: one field is wrong; Field names it
	CodeInvalidRequest   = "invalid_request"    // 400: the body is not a JSON object of the right shape
	CodeUnauthorized     = "unauthorized"       // 401: missing or wrong bearer token
	CodeNotFound         = "not_found"          // 404
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeConflict         = "conflict"           // 409: duplicate, or the state forbids the change
	CodeTooLarge         = "request_too_large"  // 413
	CodeMediaType        = "unsupported_media_type"
	CodeInternal         = "internal"    // 500: the cause is only logged
	CodeUnavailable      = "unavailable" // 503: a part of the server is not configured
)

// APIError is an error answer of the admin API. The server builds them from its
// handlers; the Client returns them for every non-2xx answer, so callers can test
// errors.As(err, &apiErr) and look at Code and Field.
type APIError struct {
	Status  int    // HTTP status
	Code    string // one of the Code* constants
	Field   string // the offending field, e.g. "grants[1]", when there is one
	Message string
}

func (e *APIError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s, HTTP %d)", e.Field, e.Message, e.Code, e.Status)
	}
	return fmt.Sprintf("%s (%s, HTTP %d)", e.Message, e.Code, e.Status)
}

func fieldError(field, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: CodeInvalidField, Field: field, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: fmt.Sprintf(format, args...)}
}

func notFound(what string) *APIError {
	return &APIError{Status: http.StatusNotFound, Code: CodeNotFound, Message: what + " not found"}
}

func conflict(format string, args ...any) *APIError {
	return &APIError{Status: http.StatusConflict, Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// serviceError turns a refusal of the clients service into its answer; other errors
// are returned unchanged.
func serviceError(err error) error {
	var fe *clients.FieldError
	var ce *clients.ConflictError
	switch {
	case errors.As(err, &fe):
		return fieldError(fe.Field, "%s", fe.Message)
	case errors.As(err, &ce):
		e := conflict("%s", ce.Message)
		e.Field = ce.Field
		return e
	}
	return err
}

// storeError turns a store failure into an answer: ErrNotFound and ErrConflict are the
// caller's business (with what names the row); anything else is internal and returned
// unchanged so that the caller logs it.
func storeError(err error, what string) error {
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return notFound(what)
	case errors.Is(err, jeton.ErrConflict):
		return conflict("%s already exists", what)
	}
	return err
}

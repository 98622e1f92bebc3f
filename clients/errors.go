package clients

import "fmt"

// FieldError is a change refused because of one input field. Each caller answers it
// in its own wire format (the admin API as invalid_field naming Field).
type FieldError struct {
	Field   string // e.g. "grants[1]"
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldError(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ConflictError is a change the current state forbids (a deleted client, a secret
// rotation for a method without one, a default_profile the institution's clients
// break). Field names the input field the state forbids, when there is one.
type ConflictError struct{ Field, Message string }

func (e *ConflictError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func conflict(format string, args ...any) *ConflictError {
	return &ConflictError{Message: fmt.Sprintf(format, args...)}
}

package rar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/jeton/jeton"
)

// Bounds on one authorization_details value (DESIGN rule 4). The value travels in the
// sealed session cookie between the sign-in and consent pages, which browsers cap at
// 4 KiB, so it must stay small once compacted.
const (
	// MaxBytes bounds the compacted JSON.
	MaxBytes = 2048
	// MaxInputBytes bounds the value as sent, whitespace included.
	MaxInputBytes = 8 << 10
	// MaxEntries bounds the number of objects in the array.
	MaxEntries = 8
)

// Fail is the RFC 9396 §5 error for a value that cannot be granted.
func Fail(format string, args ...any) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidAuthorizationDetails, jeton.ReasonNone, format, args...).WithParam("authorization_details")
}

// Parse validates an authorization_details parameter (RFC 9396 §2: a JSON array of
// objects, each with a string "type") for a client that may use the types in allowed:
// every type must be allowed for the client and known to the registry, and every
// object must pass its type's schema. It returns the value compacted, nil for "" (no
// details requested). Every refusal is invalid_authorization_details (§5).
func (r *Registry) Parse(raw string, allowed []string) (json.RawMessage, *jeton.Error) {
	if raw == "" {
		return nil, nil
	}
	if len(raw) > MaxInputBytes {
		return nil, Fail("authorization_details is over %d bytes", MaxInputBytes)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(raw)); err != nil {
		return nil, Fail("authorization_details is not JSON")
	}
	if buf.Len() > MaxBytes {
		return nil, Fail("authorization_details is over %d bytes once compacted", MaxBytes)
	}
	items, err := decodeArray(buf.Bytes())
	if err != nil {
		return nil, Fail("authorization_details is not a JSON array of objects (RFC 9396 §2)")
	}
	if len(items) == 0 {
		return nil, Fail("authorization_details is an empty array")
	}
	if len(items) > MaxEntries {
		return nil, Fail("authorization_details has over %d entries", MaxEntries)
	}
	for i, it := range items {
		if e := r.check(i, it, allowed); e != nil {
			return nil, e
		}
	}
	return json.RawMessage(buf.Bytes()), nil
}

// check validates the i-th object.
func (r *Registry) check(i int, it any, allowed []string) *jeton.Error {
	obj, ok := it.(map[string]any)
	if !ok {
		return Fail("authorization_details[%d] is not an object", i)
	}
	t, ok := obj["type"].(string)
	switch {
	case !ok || t == "":
		return Fail("authorization_details[%d] has no type (RFC 9396 §2.1)", i)
	case !slices.Contains(allowed, t) || !r.Known(t):
		// §5: "an unknown authorization details type" — unknown for this client.
		return Fail("authorization_details[%d]: type %.64q is not registered for this client", i, t)
	}
	if err := r.validate(t, it); err != nil {
		return Fail("authorization_details[%d] (%.64s) does not match its schema: %s", i, t, schemaReason(err))
	}
	return nil
}

// decodeArray decodes a JSON array the way the schema library expects (numbers as
// json.Number), refusing trailing data.
func decodeArray(b []byte) ([]any, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("not an array")
	}
	return arr, nil
}

// printer words schema errors in English, as the library does by default.
var printer = message.NewPrinter(language.English)

// schemaReason is the innermost cause of a validation error, on one line and short:
// it goes back to the client in error_description.
func schemaReason(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return "invalid"
	}
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	msg := fmt.Sprintf("at /%s: %s", strings.Join(ve.InstanceLocation, "/"), ve.ErrorKind.LocalizedString(printer))
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

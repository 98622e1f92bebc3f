package abbeycross

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/token"
)

// Size bounds (DESIGN rule 4). A client id or secret longer than these is refused
// before any lookup; jeton's own ids and secrets are far shorter.
const (
	MaxBodyBytes   = 16 << 10
	MaxClientID    = 255
	MaxSecretBytes = 512
	MaxScopeBytes  = 2 << 10
)

// inputError is a request the dialect refused before the engine saw it, with the
// offending value for parameter_value (JSON; nil sends null). It unwraps to the
// engine-style *jeton.Error that the log and the error table read.
type inputError struct {
	err   *jeton.Error
	value json.RawMessage
}

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func invalid(reason jeton.Reason, param string, value json.RawMessage, text string) *inputError {
	e := jeton.Errorf(jeton.CodeInvalidRequest, reason, "%s", text)
	if param != "" {
		e = e.WithParam(param)
	}
	return &inputError{err: e, value: value}
}

// DecodeToken turns {"client_id","client_secret"[,"scope"]} into the engine's
// client_credentials Request (RFC 6749 §4.4.2) with the secret presented in the body
// (client_secret_post, §2.3.1). Unknown members are ignored (DESIGN rule 4); the three
// known ones must be strings and appear once.
func DecodeToken(r *http.Request) (token.Request, error) {
	req, _, err := decode(wire.NewBody(r, MaxBodyBytes))
	return req, err
}

// decode is DecodeToken that also returns the raw scope member, for parameter_value
// when the engine refuses the scope.
func decode(b wire.Body) (token.Request, json.RawMessage, error) {
	req := token.Request{GrantType: jeton.GrantClientCredentials}
	body, err := readBody(b)
	if err != nil {
		return req, nil, err
	}
	fields, err := members(body)
	if err != nil {
		return req, nil, err
	}
	err = credentials(fields, &req) // before req is returned: operand order is unspecified
	return req, fields["scope"], err
}

// credentials reads client_id, client_secret and scope into req.
func credentials(fields map[string]json.RawMessage, req *token.Request) error {
	id, err := stringField(fields, "client_id", MaxClientID, true)
	req.Credentials = clientauth.Credentials{Presented: clientauth.PresentedPost, ClientID: id}
	if err != nil {
		return err
	}
	if req.Credentials.Secret, err = stringField(fields, "client_secret", MaxSecretBytes, true); err != nil {
		return err
	}
	return scope(fields, req)
}

// readBody reads the body (application/json, RFC 8259 §11, within MaxBodyBytes) and
// returns it if it is valid UTF-8 (RFC 8259 §8.1).
func readBody(b wire.Body) ([]byte, error) {
	body, err := b.JSON()
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		return nil, invalid(jeton.ReasonInvalidCharacters, "", nil, "request body is not valid UTF-8")
	}
	return body, nil
}

// members parses a JSON object into its raw members, refusing anything else and
// repeated names (RFC 8259 §4: names SHOULD be unique; an ambiguous credential is
// refused rather than guessed).
func members(body []byte) (map[string]json.RawMessage, error) {
	if !json.Valid(body) {
		return nil, invalid(jeton.ReasonMalformedBody, "", nil, "request body is not valid JSON")
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, invalid(jeton.ReasonMalformedBody, "", nil, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	_, _ = dec.Token() // '{', checked above
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid(jeton.ReasonMalformedBody, "", nil, "request body is not valid JSON")
		}
		name := tok.(string) // an object member name; json.Valid passed
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, invalid(jeton.ReasonMalformedBody, "", nil, "request body is not valid JSON")
		}
		if _, dup := out[name]; dup && known(name) {
			return nil, invalid(jeton.ReasonDuplicateParam, name, valueOf(name, nil), name+" appears more than once")
		}
		out[name] = v
	}
	return out, nil
}

func known(name string) bool {
	return name == "client_id" || name == "client_secret" || name == "scope"
}

// stringField reads a string member: absent or null is missing (if required); another
// JSON type, an empty string, more than max bytes or a character outside RFC 6749
// Appendix A's VSCHAR (%x20-7E) is a validation error.
func stringField(fields map[string]json.RawMessage, name string, max int, required bool) (string, error) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		if required {
			return "", invalid(jeton.ReasonMissingParameter, name, valueOf(name, nil), name+" is required")
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid(jeton.ReasonMalformedBody, name, valueOf(name, raw), name+" must be a string")
	}
	switch {
	case s == "" && required:
		return "", invalid(jeton.ReasonMissingParameter, name, valueOf(name, raw), name+" is required")
	case len(s) > max:
		return "", invalid(jeton.ReasonMalformedBody, name, valueOf(name, raw), name+" is too long")
	case !vschar(s):
		return "", invalid(jeton.ReasonInvalidCharacters, name, valueOf(name, raw), name+" contains characters that are not allowed")
	}
	return s, nil
}

// valueOf is parameter_value for a member: the input value, except the secret, which
// is never echoed (null).
func valueOf(name string, raw json.RawMessage) json.RawMessage {
	if name == "client_secret" || raw == nil {
		return nil
	}
	return raw
}

func vschar(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// scope reads the optional scope string (RFC 6749 §3.3), jeton's addition to the
// vendor's body.
func scope(fields map[string]json.RawMessage, req *token.Request) error {
	s, err := stringField(fields, "scope", MaxScopeBytes, false)
	if err != nil || s == "" {
		return err
	}
	if req.Scope, err = token.ParseScope(s); err != nil {
		var e *jeton.Error
		if errors.As(err, &e) {
			return &inputError{err: e.WithParam("scope"), value: fields["scope"]}
		}
		return err
	}
	return nil
}

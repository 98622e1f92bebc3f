package cardcore

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/token"
)

// Bounds of a token request (DESIGN rule 4).
const (
	MaxBodySize  = 64 << 10
	maxFieldSize = clientauth.MaxAssertionSize
)

// AssertionType is the only client_assertion_type (RFC 7523 §2.2).
const AssertionType = wire.JWTBearerAssertion

// tokenBody is the JSON body of POST /institutions/oauth/token. Unknown members are
// ignored (clients send extras, DESIGN rule 4).
type tokenBody struct {
	GrantType     string
	InstitutionID string
	ClientID      string
	AssertionType string
	Assertion     string
	RefreshToken  string
}

// DecodeToken reads a CardCore token request into the engine's request. The
// assertion is the only credential (RFC 7521 §4.2, RFC 7523 §2.2), on refresh_token
// too; grant_type defaults to client_credentials.
func DecodeToken(r *http.Request) (token.Request, error) {
	return decodeToken(wire.NewBody(r, MaxBodySize))
}

func decodeToken(wb wire.Body) (token.Request, error) {
	body, err := wb.JSON()
	if err != nil {
		return token.Request{}, err
	}
	b, err := parseTokenBody(body)
	if err != nil {
		return token.Request{GrantType: b.GrantType}, err
	}
	req := token.Request{GrantType: b.GrantType, RefreshToken: b.RefreshToken, Credentials: clientauth.Credentials{
		Presented: clientauth.PresentedAssertion, ClientID: b.ClientID, Assertion: b.Assertion,
		AssertionType: b.AssertionType, AppKey: b.InstitutionID,
	}}
	if req.Credentials.ClientID == "" {
		// One vendor page omits client_id; the assertion's sub names the client (RFC
		// 7523 §3 item 2) and the profile checks it against institutionId.
		if req.Credentials.ClientID, err = req.Credentials.PeekClientID(); err != nil {
			return req, invalid("client_id", "client_id is required (or a client_assertion whose sub is the client ID)").WithCause(err)
		}
	}
	return req, nil
}

// readJSON checks the media type and reads at most MaxBodySize bytes.
func readJSON(r *http.Request) ([]byte, error) { return wire.NewBody(r, MaxBodySize).JSON() }

func parseTokenBody(body []byte) (tokenBody, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return tokenBody{}, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMalformedBody, "request body must be a JSON object")
	}
	var b tokenBody
	fields := []struct {
		name     string
		dst      *string
		required bool
	}{
		{"grant_type", &b.GrantType, false},
		{"institutionId", &b.InstitutionID, true},
		{"client_id", &b.ClientID, false},
		{"client_assertion_type", &b.AssertionType, true},
		{"client_assertion", &b.Assertion, true},
		{"refresh_token", &b.RefreshToken, false},
	}
	for _, f := range fields {
		if err := stringField(m, f.name, f.dst, f.required); err != nil {
			return b, err
		}
	}
	if b.GrantType == "" {
		b.GrantType = jeton.GrantClientCredentials
	}
	if !isHex(b.InstitutionID, 32) {
		return b, invalid("institutionId", "institutionId must be 32 hexadecimal characters")
	}
	b.InstitutionID = strings.ToLower(b.InstitutionID)
	if b.AssertionType != AssertionType {
		return b, invalid("client_assertion_type", "client_assertion_type must be "+AssertionType)
	}
	return b, nil
}

// stringField reads member name as a non-empty string of at most maxFieldSize bytes of
// UTF-8 without control characters.
func stringField(m map[string]json.RawMessage, name string, dst *string, required bool) error {
	raw, ok := m[name]
	if !ok || bytes.Equal(raw, []byte("null")) {
		if required {
			return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "%s is required", name).WithParam(name)
		}
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid(name, name+" must be a string")
	}
	switch {
	case *dst == "" && required:
		return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "%s is required", name).WithParam(name)
	case len(*dst) > maxFieldSize:
		return invalid(name, name+" is too long")
	case !utf8.ValidString(*dst) || strings.ContainsFunc(*dst, isControl):
		e := invalid(name, name+" has characters that are not allowed")
		e.Reason = jeton.ReasonInvalidCharacters
		return e
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func invalid(param, msg string) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonNone, "%s", msg).WithParam(param)
}

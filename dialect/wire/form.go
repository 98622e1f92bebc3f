package wire

import (
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/token"
)

// Size bounds of a form (DESIGN rule 4).
const (
	MaxFormBytes  = 64 << 10 // whole form body
	MaxFieldBytes = 8 << 10  // any single parameter (a client assertion fits easily)
)

// Form reads an application/x-www-form-urlencoded body (RFC 6749 §3.2, Appendix B) and
// enforces: the content type; the body's limit (413); parameters sent at most once
// (§3.2: "MUST NOT be included more than once"); values valid UTF-8 without control
// characters, each at most MaxFieldBytes. Query-string parameters are ignored: §3.2
// requires POST, and secrets in URLs end up in logs.
func (b Body) Form() (map[string]string, error) {
	if err := checkFormContentType(b.r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	body, err := b.Read()
	if err != nil {
		return nil, err
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMalformedBody, "request body is not valid form encoding").WithCause(err)
	}
	form := make(map[string]string, len(values))
	for name, vs := range values {
		if len(vs) > 1 {
			return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonDuplicateParam, "parameter %s is repeated", safeName(name)).WithParam(safeName(name))
		}
		if err := checkField(safeName(name), vs[0]); err != nil {
			return nil, err
		}
		form[name] = vs[0]
	}
	return form, nil
}

func checkFormContentType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/x-www-form-urlencoded" {
		if cs, ok := params["charset"]; !ok || strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonContentType, "content type must be application/x-www-form-urlencoded")
}

// checkField refuses values no OAuth parameter can hold: invalid UTF-8, control
// characters (RFC 6749 Appendix A: every parameter is printable VSCHAR/NQSCHAR/UNICODECHARNOCRLF
// text), oversized.
func checkField(name, v string) error {
	if len(v) > MaxFieldBytes {
		return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonBodyTooLarge, "parameter %s is too long", name).WithParam(name)
	}
	if !utf8.ValidString(v) || hasControl(v) {
		return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonInvalidCharacters, "parameter %s has invalid characters", name).WithParam(name)
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// safeName makes a parameter name fit to echo in an error description.
func safeName(n string) string {
	if len(n) > 64 || !utf8.ValidString(n) || hasControl(n) {
		return "(unprintable)"
	}
	return n
}

// Missing is the refusal of a request without the required parameter param.
func Missing(param string) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMissingParameter, "parameter %s is required", param).WithParam(param)
}

// TokenForm reads the grant parameters every form dialect takes (RFC 6749 §4.1.3,
// §4.3.2, §6: grant_type, required; code, username, password, refresh_token) into the
// engine's request. A dialect adds the rest of its own.
func TokenForm(form map[string]string) (token.Request, error) {
	req := token.Request{
		GrantType:    form["grant_type"],
		Username:     form["username"],
		Password:     form["password"],
		Code:         form["code"],
		RefreshToken: form["refresh_token"],
	}
	if req.GrantType == "" {
		return req, Missing("grant_type")
	}
	return req, nil
}

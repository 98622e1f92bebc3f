package oauth2

import (
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
)

// Size bounds (DESIGN rule 4).
const (
	MaxBodyBytes  = 64 << 10 // whole form body
	MaxFieldBytes = 8 << 10  // any single parameter (a client assertion fits easily)
)

// readForm reads an application/x-www-form-urlencoded body (RFC 6749 §3.2, Appendix B)
// and enforces: the content type; the body bound (413); parameters sent at most once
// (§3.2: "MUST NOT be included more than once"); values valid UTF-8 without control
// characters, each at most MaxFieldBytes. Query-string parameters are ignored: §3.2
// requires POST, and secrets in URLs end up in logs.
func readForm(r *http.Request) (map[string]string, error) {
	if err := checkFormContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	if reqlog.DeclaresOver(r, MaxBodyBytes) {
		return nil, bodyTooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMalformedBody, "request body could not be read").WithCause(err)
	}
	if len(body) > MaxBodyBytes {
		return nil, bodyTooLarge()
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

func bodyTooLarge() *jeton.Error {
	return &jeton.Error{Code: jeton.CodeInvalidRequest, Reason: jeton.ReasonBodyTooLarge, Description: "request body is larger than 64 KiB", Status: http.StatusRequestEntityTooLarge}
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

// parseBasic decodes HTTP Basic client credentials (RFC 6749 §2.3.1, RFC 7617): the
// client id and secret are form-urlencoded before base64, so both are unescaped.
func parseBasic(h string) (id, secret string, err error) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", errors.New("authorization scheme is not Basic")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", errors.New("basic credentials are not base64")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("basic credentials have no colon")
	}
	if id, err = url.QueryUnescape(user); err != nil {
		return "", "", errors.New("client id is not form-urlencoded")
	}
	if secret, err = url.QueryUnescape(pass); err != nil {
		return "", "", errors.New("client secret is not form-urlencoded")
	}
	if checkField("client_id", id) != nil || checkField("client_secret", secret) != nil || id == "" {
		return "", "", errors.New("basic credentials have invalid characters")
	}
	return id, secret, nil
}

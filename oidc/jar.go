package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strconv"

	"github.com/jeton/jeton"
)

// objectOnlyClaims are the JWT claims of a request object that are not authorization
// request parameters (RFC 9101 §4, RFC 7519 §4.1).
var objectOnlyClaims = map[string]bool{"iss": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true, "sub": true}

// fromObject verifies the signed request object raw of client c and returns the
// authorization request it carries (RFC 9101 §6.3): its parameters and nothing else,
// with client_id. Parameters sent outside the object are ignored, but one that
// contradicts the object refuses the request, so that nobody can believe a value
// the server does not use. Errors are shown on jeton's page: the redirect URI inside
// an object that failed is not trusted.
func (h *Handler) fromObject(ctx context.Context, c *jeton.Client, q url.Values, raw string) (url.Values, *authError) {
	if h.cfg.RequestObjects == nil {
		return nil, &authError{Code: "request_not_supported", Desc: "request objects are not supported"} // OIDC Core §6
	}
	claims, err := h.cfg.RequestObjects.Verify(ctx, c, raw)
	if err != nil {
		pe := jeton.AsError(err)
		if pe.Code == jeton.CodeServerError {
			return nil, storeFailure(err)
		}
		return nil, &authError{Code: string(pe.Code), Desc: pe.Description}
	}
	params, aerr := objectParams(claims)
	if aerr != nil {
		return nil, aerr
	}
	for name, vals := range q {
		if name == "request" || name == "client_id" {
			continue
		}
		if inObject, ok := params[name]; ok && !sameParam(name, vals, inObject) {
			return nil, pageError(name + " outside the request object contradicts the request object (RFC 9101 §6.3)")
		}
	}
	params.Set("client_id", c.ID)
	return params, nil
}

// objectParams turns a verified request object's claims into request parameters:
// strings as they are, integers (max_age) in decimal, authorization_details (a JSON
// array in a request object, RFC 9396 §3) as JSON text. Anything else has no
// parameter form and is refused, as are a nested request or request_uri (RFC 9101
// §4) and the claims parameter (not supported).
func objectParams(claims map[string]any) (url.Values, *authError) {
	out := url.Values{}
	for name, v := range claims {
		if objectOnlyClaims[name] {
			continue
		}
		switch name {
		case "request", "request_uri":
			return nil, badObjectParam(name + " must not be inside a request object (RFC 9101 §4)")
		case "claims":
			return nil, badObjectParam("the claims parameter is not supported")
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			if _, err := strconv.ParseInt(x.String(), 10, 64); err != nil {
				return nil, badObjectParam(name + " is not an integer")
			}
			s = x.String()
		case []any, map[string]any:
			if name != "authorization_details" {
				return nil, badObjectParam(name + " must be a string")
			}
			b, _ := json.Marshal(x)
			s = string(b)
		default:
			return nil, badObjectParam(name + " must be a string")
		}
		out.Set(name, s)
	}
	return out, nil
}

func badObjectParam(desc string) *authError {
	return &authError{Code: string(jeton.CodeInvalidRequestObject), Desc: desc}
}

// sameParam reports whether a parameter sent outside the object says what the object
// says: the same string, or for authorization_details the same JSON value.
func sameParam(name string, outside []string, inObject []string) bool {
	if len(outside) != 1 || len(inObject) != 1 {
		return false
	}
	if outside[0] == inObject[0] {
		return true
	}
	if name != "authorization_details" {
		return false
	}
	var a, b any
	if json.Unmarshal([]byte(outside[0]), &a) != nil || json.Unmarshal([]byte(inObject[0]), &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// errNoObject is the refusal of a client that must sign its requests (RFC 9101 §10.5).
var errNoObject = errors.New("this client must send its authorization requests as a signed request object (require_signed_request_object, RFC 9101 §10.5)")

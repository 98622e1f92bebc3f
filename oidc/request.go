package oidc

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/token"
)

// authRequest is a validated authorization request (RFC 6749 §4.1.1, OIDC Core
// §3.1.2.1), as the session cookie carries it between the pages.
type authRequest struct {
	ClientID      string   `json:"c"`
	RedirectURI   string   `json:"r"`
	Scope         []string `json:"s"`
	State         string   `json:"st,omitempty"`
	Nonce         string   `json:"n,omitempty"`
	CodeChallenge string   `json:"cc,omitempty"`
	Prompt        []string `json:"p,omitempty"`
	MaxAge        int64    `json:"m"` // seconds; -1 when absent
	LoginHint     string   `json:"h,omitempty"`
	// Details are the RFC 9396 authorization_details, validated and compacted.
	Details json.RawMessage `json:"ad,omitempty"`
	// DPoPJKT binds the code to a DPoP key (RFC 9449 §10): dpop_jkt, or the key of
	// the proof sent to PAR.
	DPoPJKT string `json:"dj,omitempty"`
}

// maxPending bounds an authorization request as the session cookie carries it: with
// the session's other fields, sealing (28 bytes) and base64 (4/3), the cookie stays
// under the 4096 bytes browsers keep.
const maxPending = 2700

func (a *authRequest) prompt(v string) bool { return slices.Contains(a.Prompt, v) }

// authError is a refusal of an authorization request. Before the redirect URI is
// trusted (Redirect false) it is shown on jeton's error page; after, it goes back to
// the client (RFC 6749 §4.1.2.1).
type authError struct {
	Code     string // RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6
	Desc     string
	Redirect bool
	// Cause is set when the request could not be judged because the store failed:
	// the customer sees the 500 page, not a claim that the link is invalid.
	Cause error
}

func (e *authError) Error() string { return e.Code + ": " + e.Desc }

func pageError(desc string) *authError { return &authError{Code: "invalid_request", Desc: desc} }

// storeFailure is a lookup that failed for a reason other than "not there".
func storeFailure(err error) *authError {
	return &authError{Code: string(jeton.CodeServerError), Desc: "internal error", Cause: err}
}

func clientError(code, desc string) *authError {
	return &authError{Code: code, Desc: desc, Redirect: true}
}

// single returns the one value of name; RFC 6749 §3.1: "Request and response parameters
// MUST NOT be included more than once."
func single(q url.Values, name string) (string, bool) {
	v := q[name]
	if len(v) > 1 {
		return "", false
	}
	if len(v) == 0 {
		return "", true
	}
	return v[0], true
}

// checkClient finds the client and trusts the redirect URI: RFC 6749 §3.1.2.3 and OIDC
// Core §3.1.2.1 want an exact string match with a registered URI (no prefix, no
// normalisation). Errors here are shown to the user, never redirected (§4.1.2.1).
func checkRedirect(q url.Values, c *jeton.Client) (string, *authError) {
	uri, ok := single(q, "redirect_uri")
	if !ok {
		return "", pageError("redirect_uri is repeated")
	}
	if uri == "" {
		return "", pageError("redirect_uri is missing")
	}
	if !slices.Contains(c.RedirectURIs, uri) {
		return "", pageError("redirect_uri is not registered for this application")
	}
	return uri, nil
}

// parse is parseRequest with the RFC 9396 authorization_details (§2, §5: each
// refusal is invalid_authorization_details, sent back to the client) and the bound on
// what the session cookie must carry.
func (h *Handler) parse(q url.Values, c *jeton.Client, redirectURI string) (*authRequest, *authError) {
	req, aerr := parseRequest(q, c, redirectURI)
	if aerr != nil {
		return nil, aerr
	}
	if raw := q.Get("authorization_details"); raw != "" {
		if h.cfg.Details == nil {
			return nil, clientError(string(jeton.CodeInvalidAuthorizationDetails), "authorization_details are not supported")
		}
		d, e := h.cfg.Details.Parse(raw, c.AuthorizationDetailsTypes)
		if e != nil {
			return nil, clientError(string(e.Code), e.Description)
		}
		req.Details = d
	}
	if b, err := json.Marshal(req); err != nil || len(b) > maxPending {
		return nil, clientError("invalid_request", "the request is too large to carry through sign-in; shorten state, nonce, login_hint or authorization_details")
	}
	return req, nil
}

// parseRequest validates the rest of the request once the redirect URI is trusted;
// every error goes back to the client.
func parseRequest(q url.Values, c *jeton.Client, redirectURI string) (*authRequest, *authError) {
	for name := range q {
		if len(q[name]) > 1 {
			return nil, clientError("invalid_request", name+" is repeated")
		}
	}
	get := q.Get
	a := &authRequest{ClientID: c.ID, RedirectURI: redirectURI, State: get("state"), Nonce: get("nonce"),
		LoginHint: get("login_hint"), MaxAge: -1}
	switch {
	case len(a.State) > maxParam:
		return nil, clientError("invalid_request", "state is too long")
	case len(a.Nonce) > maxParam:
		return nil, clientError("invalid_request", "nonce is too long")
	case len(a.LoginHint) > maxParam:
		return nil, clientError("invalid_request", "login_hint is too long")
	case !validJKT(get("dpop_jkt")):
		return nil, clientError("invalid_request", "dpop_jkt is not a base64url SHA-256 JWK thumbprint")
	case get("request") != "":
		return nil, clientError("request_not_supported", "request objects are not supported") // OIDC Core §6
	case get("response_type") == "":
		return nil, clientError("invalid_request", "response_type is missing")
	case get("response_type") != "code":
		return nil, clientError("unsupported_response_type", "only response_type=code is supported")
	case get("response_mode") != "" && get("response_mode") != "query":
		return nil, clientError("invalid_request", "only response_mode=query is supported")
	}
	a.DPoPJKT = get("dpop_jkt")
	var err *authError
	if a.Scope, err = parseScope(get("scope"), c); err != nil {
		return nil, err
	}
	if a.CodeChallenge, err = parsePKCE(get("code_challenge"), get("code_challenge_method"), c); err != nil {
		return nil, err
	}
	if a.Prompt, err = parsePrompt(get("prompt")); err != nil {
		return nil, err
	}
	if v := get("max_age"); v != "" {
		n, perr := strconv.ParseInt(v, 10, 32)
		if perr != nil || n < 0 {
			return nil, clientError("invalid_request", "max_age is not a non-negative integer")
		}
		a.MaxAge = n
	}
	return a, nil
}

// parseScope applies RFC 6749 §3.3: every requested scope must be registered for the
// client (else invalid_scope); none requested means the client's defaults.
func parseScope(s string, c *jeton.Client) ([]string, *authError) {
	scope, err := token.ParseScope(s)
	if err != nil {
		return nil, clientError("invalid_scope", "scope is malformed")
	}
	if scope == nil {
		scope = slices.Clone(c.DefaultScopes)
	}
	if len(scope) == 0 {
		return nil, clientError("invalid_scope", "no scope requested and the client has no default")
	}
	for _, v := range scope {
		if !slices.Contains(c.Scopes, v) {
			return nil, clientError("invalid_scope", "scope "+v+" is not allowed for this client")
		}
	}
	return scope, nil
}

// parsePKCE applies RFC 7636 §4.3 with S256 only: a challenge without a method means
// plain (§4.3), which is refused like an explicit plain; public clients must send one
// (RFC 9700 §2.1.1).
func parsePKCE(challenge, method string, c *jeton.Client) (string, *authError) {
	switch {
	case challenge == "" && method != "":
		return "", clientError("invalid_request", "code_challenge_method without code_challenge")
	case challenge == "" && c.AuthMethod == jeton.AuthNone:
		return "", clientError("invalid_request", "PKCE (code_challenge with S256) is required for public clients")
	case challenge == "":
		return "", nil
	case method != token.PKCEMethodS256:
		return "", clientError("invalid_request", "code_challenge_method must be S256")
	case !token.ValidCodeChallenge(challenge):
		return "", clientError("invalid_request", "code_challenge is not a base64url SHA-256")
	}
	return challenge, nil
}

// parsePrompt reads OIDC Core §3.1.2.1 prompt: none, login, consent (select_account is
// not offered: one customer per browser session). none with anything else is an error.
func parsePrompt(s string) ([]string, *authError) {
	if s == "" {
		return nil, nil
	}
	out := strings.Fields(s)
	for _, p := range out {
		if p != "none" && p != "login" && p != "consent" {
			return nil, clientError("invalid_request", "a prompt value is not supported (none, login, consent are)")
		}
	}
	if slices.Contains(out, "none") && len(out) > 1 {
		return nil, clientError("invalid_request", "prompt=none cannot be combined")
	}
	return out, nil
}

// redirectURL builds the answer to the client (RFC 6749 §4.1.2, §4.1.2.1) with iss
// (RFC 9207 §2) and state when the request had one.
func redirectURL(redirectURI, iss, state string, params url.Values) string {
	if state != "" {
		params.Set("state", state)
	}
	params.Set("iss", iss)
	sep := "?"
	if strings.Contains(redirectURI, "?") {
		sep = "&"
	}
	return redirectURI + sep + params.Encode()
}

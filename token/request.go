// Package token is jeton's engine: one fixed pipeline for every token request, whatever
// dialect decoded it (DESIGN "The shape"):
//
//  1. authenticate the client
//  2. check the client may use the grant
//  3. policy: institution, scopes, and any extra policies (working hours, limits)
//  4. the grant's handler (one file per grant)
//  5. issue and persist the tokens
//
// The engine owns that order; a dialect or a grant cannot skip a step.
package token

import (
	"encoding/json"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/reqlog"
)

// Request is a token request as a dialect decoded it: typed and parsed once, nothing
// verified yet.
type Request struct {
	GrantType   string
	Credentials clientauth.Credentials
	// Scope is the requested scope (RFC 6749 §3.3); nil when the request named none.
	Scope []string
	// InstitutionID names the institution the token is for; "" means the client's own.
	InstitutionID string
	// AccessTTL, when set, caps the access token's lifetime below the client's: a
	// dialect whose wire contract has a shorter default (Candescent V1: 30 minutes).
	AccessTTL time.Duration

	// Grant-specific parameters; each grant reads only its own.
	Username     string // password (RFC 6749 §4.3.2)
	Password     string
	Code         string // authorization_code (RFC 6749 §4.1.3)
	RedirectURI  string
	CodeVerifier string // RFC 7636 §4.5
	RefreshToken string // RFC 6749 §6
	// AuthorizationDetails is the RFC 9396 §6 parameter as sent ("" when absent):
	// client_credentials asks for these; authorization_code and refresh_token for a
	// subset of what was granted.
	AuthorizationDetails string

	// DPoP is the request's DPoP proof and what it must match (RFC 9449 §4.3); a
	// dialect that reads no DPoP header leaves it zero.
	DPoP dpop.Request
}

// ClientRequest is a Request whose client has been authenticated and whose policy
// checks passed. Only the engine makes one, so a grant handler that takes a
// *ClientRequest cannot run for an unauthenticated client.
type ClientRequest struct {
	Request
	Client *jeton.Client
	// Institution is the resolved institution the token is for.
	Institution string
	// Scope is the effective scope (engine step 3): the requested one, checked against
	// the client's allowed scopes, or the client's default set; for a grant that
	// continues an earlier one (refresh_token), within that grant's scope.
	Scope []string
	// AuthorizationDetails are the request's RFC 9396 details once step 3 validated
	// them (and, for refresh_token, narrowed them to the family's); nil when none.
	AuthorizationDetails json.RawMessage
	Now                  time.Time
	// Confirmation is what the request proved possession of (a DPoP key, a client
	// certificate), and so what its tokens are bound to (RFC 9449 §5, RFC 8705 §3).
	Confirmation jeton.Confirmation

	refresh *presentedRefresh // the refresh grant's read of the presented token
}

// Authorization is what a grant handler decided: who the token is for and with what
// scope. The issuer turns it into tokens.
type Authorization struct {
	Subject       string // the client id, or the customer id for customer tokens
	InstitutionID string
	Scope         []string
	AuthTime      time.Time // when the customer authenticated; zero for client tokens
	FamilyID      string    // the refresh family the tokens belong to, if any
	// Refresh asks the issuer to start a new refresh family (password and
	// authorization_code grants, when the client may use refresh_token).
	Refresh bool
	// RefreshToken is a refresh token the grant already holds (the refresh grant's
	// successor, or the unrotated token); the issuer returns it as is.
	RefreshToken string
	// RefreshExpiresAt is RefreshToken's idle expiry, for refresh_token_expires_in.
	RefreshExpiresAt time.Time
	// OpenID asks the issuer for an ID token too (OIDC Core §3.1.3.3).
	OpenID *OpenIDRequest
	// AuthorizationDetails are what this token carries (RFC 9396 §7, §9.2); nil when
	// none.
	AuthorizationDetails json.RawMessage
	// GrantDetails are what a new refresh family keeps as granted (RFC 9396 §7.1): a
	// later refresh may ask for them or fewer. Nil means AuthorizationDetails.
	GrantDetails json.RawMessage
	// Confirmation binds the access token (RFC 7800 §3.1 cnf); the engine sets it
	// from the request (ClientRequest.Confirmation).
	Confirmation jeton.Confirmation
}

// OpenIDRequest is what an ID token needs beyond the Authorization: the signed-in
// customer and the authentication request's nonce.
type OpenIDRequest struct {
	Customer jeton.Customer
	Nonce    string
}

// Result is a successful token response, before a dialect encodes it.
type Result struct {
	AccessToken   string
	TokenType     string // "Bearer" (RFC 6750), or "DPoP" for a DPoP-bound token (RFC 9449 §5)
	ExpiresIn     time.Duration
	Scope         []string
	RefreshToken  string
	RefreshTTL    time.Duration
	IDToken       string
	ClientID      string
	InstitutionID string
	Subject       string
	IssuedAt      time.Time
	JTI           string
	// AuthorizationDetails the token carries, for the token response (RFC 9396 §7).
	AuthorizationDetails json.RawMessage
	// Confirmation is the access token's cnf (zero for a bearer token).
	Confirmation jeton.Confirmation
	// Issued are the kinds of token minted for this answer (a refresh token the
	// client already held is not one), for the metrics.
	Issued reqlog.Tokens
}

package jeton

import (
	"errors"
	"fmt"
	"time"
)

// Store errors. Backends wrap them (fmt.Errorf("...: %w", ErrNotFound)) so callers test
// with errors.Is.
var (
	// ErrNotFound: no row matched (including a row of another institution, so that a
	// scoped lookup never tells one tenant that another tenant's row exists).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint was violated (duplicate id, username, alias).
	ErrConflict = errors.New("conflict")
	// ErrAlreadyUsed: a single-use item (assertion id, refresh token, code) was
	// consumed before. Exactly one concurrent caller gets nil; all others get this.
	ErrAlreadyUsed = errors.New("already used")
	// ErrWrongClient: a single-use item (an authorization code) was presented by a
	// client other than the one it was issued to; it was left as it was.
	ErrWrongClient = errors.New("issued to another client")
	// ErrNotMigrated: the database lacks migrations this build needs (no schema, or an
	// older one); a store's CheckMigrated reports it before anything fails on a table.
	ErrNotMigrated = errors.New("database not migrated")
)

// Code is an engine error code. The standard codes are RFC 6749 §5.2 (token endpoint),
// RFC 6750 §3.1 (resource) and RFC 7009 §2.2.1; dialects map each to their own wire
// code in one table.
type Code string

// RFC 6749 §5.2 and related error codes.
const (
	CodeInvalidRequest          Code = "invalid_request"
	CodeInvalidClient           Code = "invalid_client"
	CodeInvalidGrant            Code = "invalid_grant"
	CodeUnauthorizedClient      Code = "unauthorized_client"
	CodeUnsupportedGrantType    Code = "unsupported_grant_type"
	CodeInvalidScope            Code = "invalid_scope"
	CodeAccessDenied            Code = "access_denied"
	CodeServerError             Code = "server_error"
	CodeTemporarilyUnavailable  Code = "temporarily_unavailable"
	CodeUnsupportedTokenType    Code = "unsupported_token_type"
	CodeInvalidToken            Code = "invalid_token"
	CodeUnsupportedResponseType Code = "unsupported_response_type"
	// CodeRateLimited: the request is over a rate-limit budget (docs/rate-limits.md);
	// HTTP 429 (RFC 6585 §4) with Retry-After (RFC 9110 §10.2.3). RFC 6749 §5.2 has
	// no code for it, so each dialect words it in its table: the standard dialect
	// sends slow_down, the one code the OAuth Extensions Error registry lists for the
	// token endpoint response that means "you ask too often" (RFC 8628 §3.5, §7.2).
	CodeRateLimited Code = "rate_limited"
	// CodeInvalidAuthorizationDetails: an authorization_details value is malformed,
	// names a type the client may not use, or fails its type's schema (RFC 9396 §5);
	// at the token endpoint also a request for more details than were granted (§6.1,
	// §7.1).
	CodeInvalidAuthorizationDetails Code = "invalid_authorization_details"
	// CodeInvalidRequestObject: a request object (RFC 9101) failed verification
	// (OIDC Core §3.1.2.6, RFC 9101 §6.3); the PAR endpoint answers it too.
	CodeInvalidRequestObject Code = "invalid_request_object"
	// CodeInvalidDPoPProof: a DPoP proof is malformed, badly signed, stale, replayed,
	// for another request, or for a key other than the one the grant is bound to
	// (RFC 9449 §5, §7.1).
	CodeInvalidDPoPProof Code = "invalid_dpop_proof"
	// CodeUseDPoPNonce: the proof lacks the server's current nonce (RFC 9449 §8, §9);
	// the answer carries a fresh one in the DPoP-Nonce header.
	CodeUseDPoPNonce Code = "use_dpop_nonce"
)

// Codes is every Code. Each dialect's error table has a row for each (its tests check
// this), so a new code is one constant here and one row per dialect.
var Codes = []Code{
	CodeInvalidRequest, CodeInvalidClient, CodeInvalidGrant, CodeUnauthorizedClient,
	CodeUnsupportedGrantType, CodeInvalidScope, CodeAccessDenied, CodeServerError,
	CodeTemporarilyUnavailable, CodeUnsupportedTokenType, CodeInvalidToken,
	CodeUnsupportedResponseType, CodeRateLimited, CodeInvalidAuthorizationDetails,
	CodeInvalidRequestObject, CodeInvalidDPoPProof, CodeUseDPoPNonce,
}

// Reason refines a Code for dialects whose wire format is finer-grained than RFC 6749
// (Candescent's CMN_900xx, AbbeyCross's schema). The standard dialect ignores it.
type Reason string

// Reasons the engine reports. Dialects may map any of them; unknown reasons fall back
// to the Code's mapping.
const (
	ReasonNone              Reason = ""
	ReasonMalformedBody     Reason = "malformed_body"
	ReasonBodyTooLarge      Reason = "body_too_large"
	ReasonContentType       Reason = "content_type"
	ReasonMissingParameter  Reason = "missing_parameter"
	ReasonDuplicateParam    Reason = "duplicate_parameter"
	ReasonInvalidCharacters Reason = "invalid_characters"
	ReasonMultipleAuth      Reason = "multiple_client_auth"
	ReasonClientUnknown     Reason = "client_unknown"
	ReasonBadSecret         Reason = "bad_secret"
	ReasonClientInactive    Reason = "client_inactive"
	ReasonWrongAuthMethod   Reason = "wrong_auth_method"
	ReasonInstitution       Reason = "institution_not_allowed"
	ReasonBadAssertion      Reason = "bad_assertion"     // a client assertion failed a check
	ReasonReplay            Reason = "replay"            // a single-use item was used again
	ReasonExpired           Reason = "expired"           // a token, code or assertion expired
	ReasonRevoked           Reason = "revoked"           // a token or family was revoked
	ReasonLocked            Reason = "locked"            // the customer is locked out
	ReasonBadCredentials    Reason = "bad_credentials"   // unknown customer or wrong password
	ReasonOverloaded        Reason = "overloaded"        // a bounded queue is full
	ReasonScopeWidened      Reason = "scope_widened"     // a refresh asked for more than granted
	ReasonWrongClient       Reason = "wrong_client"      // a token issued to another client
	ReasonCustomerInactive  Reason = "customer_inactive" // customer disabled
)

// Reasons of rate limiting (CodeRateLimited): which budget was spent, for the log.
const (
	ReasonRateAddress    Reason = "rate_address"     // requests from one address
	ReasonRateClient     Reason = "rate_client"      // requests of one client
	ReasonRateFailedAuth Reason = "rate_failed_auth" // failed client authentications
	ReasonRatePassword   Reason = "rate_password"    // password checks
)

// Reasons of issue 7 (working hours and the active-token cap).
const (
	// ReasonOutsideHours: the institution's calendar is closed (temporarily_unavailable,
	// 503, with RetryAfter until the next opening).
	ReasonOutsideHours Reason = "outside_hours"
	// ReasonTokenLimit: the client already holds its maximum of live access tokens.
	ReasonTokenLimit Reason = "token_limit"
)

// Reasons of sender-constrained tokens (issue 18: DPoP, RFC 9449; mTLS, RFC 8705).
const (
	// ReasonProofRequired: the client or the grant requires a DPoP proof and none was sent.
	ReasonProofRequired Reason = "dpop_proof_required"
	// ReasonKeyMismatch: the DPoP key or client certificate is not the one the code,
	// refresh token or access token is bound to.
	ReasonKeyMismatch Reason = "sender_key_mismatch"
	// ReasonCertificate: no client certificate, or one that does not authenticate
	// the client (RFC 8705 §2).
	ReasonCertificate Reason = "client_certificate"
)

// Error is a protocol error: what the client is told (Code, Description, Param) on one
// channel, and the cause that only the log sees on the other (DESIGN rule 3).
//
// Status is the HTTP status the engine suggests (RFC 6749 §5.2: 400, or 401 for
// invalid_client); a dialect's error table may override it.
type Error struct {
	Code        Code
	Reason      Reason
	Description string
	Param       string // the offending parameter, when there is one
	Status      int
	// RetryAfter, when set, is sent as the Retry-After header (RFC 9110 §10.2.3) with
	// a 503 from a full queue or outside working hours.
	RetryAfter time.Duration
	Cause      error // for logs only; never sent to the client
}

func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.Cause != nil {
		msg += " (" + e.Cause.Error() + ")"
	}
	return msg
}

// Unwrap exposes the cause to errors.Is / errors.As.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds a protocol error with the default HTTP status for its code.
func Errorf(code Code, reason Reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Description: fmt.Sprintf(format, args...), Status: DefaultStatus(code)}
}

// ServerError wraps an internal failure: the client sees only "server_error"; the cause
// goes to the log.
func ServerError(cause error) *Error {
	return &Error{Code: CodeServerError, Description: "internal error", Status: 500, Cause: cause}
}

// WithParam names the offending parameter.
func (e *Error) WithParam(p string) *Error { e.Param = p; return e }

// WithCause attaches a cause for the log.
func (e *Error) WithCause(err error) *Error { e.Cause = err; return e }

// DefaultStatus is the HTTP status RFC 6749 §5.2 (and RFC 7009, RFC 6750) give a code.
func DefaultStatus(c Code) int {
	switch c {
	case CodeInvalidClient, CodeInvalidToken:
		return 401
	case CodeAccessDenied:
		return 403
	case CodeServerError:
		return 500
	case CodeTemporarilyUnavailable:
		return 503
	case CodeRateLimited:
		return 429 // RFC 6585 §4
	default:
		return 400
	}
}

// AsError returns err as a protocol error, wrapping anything else as server_error.
func AsError(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return ServerError(err)
}

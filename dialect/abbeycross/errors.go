package abbeycross

import (
	"net/http"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/token"
)

// wireError is one row of the error table: the HTTP status, AbbeyCross code and text
// an engine error is answered with. An empty text sends the engine's description,
// which never holds internal detail (causes go to the log only, DESIGN rule 3).
type wireError struct {
	status int
	code   string
	text   string
	// param says whether parameter_name/parameter_value are sent (input validation).
	param bool
}

// AbbeyCross wire codes (specs/abbeycross.md; the vendor publishes only 409, 500 and
// 503, so the others are jeton's).
const (
	CodeValidation   = "VALIDATION_ERROR"
	CodeInvalid      = "INVALID_CLIENT"
	CodeDisabled     = "CLIENT_DISABLED"
	CodeForbidden    = "UNAUTHORIZED_CLIENT"
	CodeConflict     = "CONFLICT"
	CodeMethod       = "METHOD_NOT_ALLOWED"
	CodeRateLimited  = "RATE_LIMITED"
	CodeInternal     = "INTERNAL_ERROR"
	CodeOutsideHours = "OUTSIDE_WORKING_HOURS"
	CodeUnavailable  = "SERVICE_UNAVAILABLE"
)

// The error table (DESIGN rule 3): a Reason's row wins over its Code's row; every Code
// has a row.
var (
	byReason = map[jeton.Reason]wireError{
		jeton.ReasonClientInactive: {http.StatusForbidden, CodeDisabled, "client is disabled", false},
		jeton.ReasonTokenLimit:     {http.StatusConflict, CodeConflict, "", false},
		jeton.ReasonOutsideHours:   {http.StatusServiceUnavailable, CodeOutsideHours, token.OutsideHoursText, false},
		jeton.ReasonOverloaded:     {http.StatusTooManyRequests, CodeRateLimited, "too many requests; retry later", false},
		jeton.ReasonBodyTooLarge:   {http.StatusBadRequest, CodeValidation, "request body is too large", false},
		dialect.ReasonMethod:       {http.StatusMethodNotAllowed, CodeMethod, "", false},
	}
	byCode = map[jeton.Code]wireError{
		jeton.CodeInvalidRequest:     {http.StatusBadRequest, CodeValidation, "", true},
		jeton.CodeInvalidScope:       {http.StatusBadRequest, CodeValidation, "", true},
		jeton.CodeInvalidClient:      {http.StatusUnauthorized, CodeInvalid, "client authentication failed", false},
		jeton.CodeUnauthorizedClient: {http.StatusForbidden, CodeForbidden, "client may not obtain tokens this way", false},
		jeton.CodeTemporarilyUnavailable: {http.StatusServiceUnavailable, CodeUnavailable,
			"The server is temporarily unavailable. Please try again later.", false},
		jeton.CodeServerError: internal,
		jeton.CodeRateLimited: {http.StatusTooManyRequests, CodeRateLimited, "too many requests; retry later", false},
		// Codes of grants and endpoints this dialect does not serve: a client
		// credentials request cannot meet them, so they would be a server fault.
		jeton.CodeInvalidGrant:            internal,
		jeton.CodeUnsupportedGrantType:    internal,
		jeton.CodeAccessDenied:            internal,
		jeton.CodeUnsupportedTokenType:    internal,
		jeton.CodeInvalidToken:            internal,
		jeton.CodeUnsupportedResponseType: internal,
		// RFC 9396 authorization_details: this dialect decodes none.
		jeton.CodeInvalidAuthorizationDetails: internal,
		jeton.CodeInvalidRequestObject:        internal, // RFC 9101: no authorization endpoint here
		// DPoP (RFC 9449) is read by the standard dialect only.
		jeton.CodeInvalidDPoPProof: internal,
		jeton.CodeUseDPoPNonce:     internal,
	}
	internal = wireError{http.StatusInternalServerError, CodeInternal, "An internal error occurred.", false}
)

// lookup is the table's answer for e.
func lookup(e *jeton.Error) wireError {
	if w, ok := byReason[e.Reason]; ok {
		return w
	}
	if w, ok := byCode[e.Code]; ok {
		return w
	}
	return internal
}

package candescent

import (
	"math"
	"net/http"
	"strconv"

	"github.com/jeton/jeton"
)

// Reasons only this dialect reports: checks of Candescent's own headers and endpoints,
// which the engine knows nothing about. They go through the same table as the engine's.
const (
	reasonTransactionID jeton.Reason = "candescent_transaction_id" // transactionId / di_tid missing or not a UUID
	reasonInstitutionID jeton.Reason = "candescent_institution_id" // institutionId / di_fiid missing
	reasonHeader        jeton.Reason = "candescent_header"         // a header sent twice or unreadable
	reasonSelfAuthorize jeton.Reason = "candescent_self_authorize" // a client minting a code for itself
	reasonNotLinked     jeton.Reason = "candescent_not_linked"     // minting for a client not linked by an admin
	reasonV1Disabled    jeton.Reason = "candescent_v1_disabled"    // V1 endpoint not enabled for the FI
	reasonBearer        jeton.Reason = "candescent_bearer"         // minting without a valid client_credentials token
)

// cmn is one Candescent error answer: {"code","message"} with an HTTP status, and the
// V1 errorType of the same failure.
type cmn struct {
	Code    string
	Message string
	Status  int
	V1Type  string // USER_ERROR, APP_ERROR or SYSTEM_ERROR
}

// The answers of the spec's error table (docs/dialects/candescent.md).
var (
	cmnInternal      = cmn{"CMN_90000", "Internal server error", 500, "SYSTEM_ERROR"}
	cmnSpike         = cmn{"CMN_90003", "Spike limit violation", 429, "SYSTEM_ERROR"}
	cmnClient        = cmn{"CMN_90004", "Invalid client credentials", 401, "APP_ERROR"}
	cmnInstitution   = cmn{"CMN_90005", "Header institutionId is invalid or Form param institution_user_id is invalid", 400, "APP_ERROR"}
	cmnForbidden     = cmn{"CMN_90006", "Not authorized to access this resource", 403, "APP_ERROR"}
	cmnGrantType     = cmn{"CMN_90007", "Invalid grant type", 400, "APP_ERROR"}
	cmnTransaction   = cmn{"CMN_90008", "Header transactionId is invalid", 400, "APP_ERROR"}
	cmnBlocked       = cmn{"CMN_90009", "Access blocked", 400, "USER_ERROR"}
	cmnHeader        = cmn{"CMN_90010", "Header is invalid", 400, "APP_ERROR"}
	cmnRequest       = cmn{"CMN_90011", "Request is invalid", 400, "APP_ERROR"}
	cmnScopes        = cmn{"CMN_90012", "Request is invalid - Scopes", 400, "APP_ERROR"}
	cmnUsername      = cmn{"CMN_90013", "Username is invalid", 400, "USER_ERROR"}
	cmnPassword      = cmn{"CMN_90014", "Password is invalid", 400, "USER_ERROR"}
	cmnUserCreds     = cmn{"CMN_90015", "Invalid user credentials", 401, "USER_ERROR"}
	cmnUser          = cmn{"CMN_90016", "Invalid user", 400, "USER_ERROR"}
	cmnNonPrintable  = cmn{"CMN_90017", "Request contains non printable ASCII characters", 400, "USER_ERROR"}
	cmnToken         = cmn{"CMN_90018", "Invalid token", 401, "APP_ERROR"}
	cmnSelfAuthorize = cmn{"CMN_90020", "App cannot authorize itself", 400, "APP_ERROR"}
	cmnClientConfig  = cmn{"CMN_90021", "Invalid client configuration", 400, "APP_ERROR"}
	cmnUnavailable   = cmn{"CMN_90009", "Access blocked", 503, "SYSTEM_ERROR"}
)

// rule maps engine (or dialect) errors to an answer. Empty fields match anything; the
// first matching rule wins, so specific rules come before general ones.
type rule struct {
	Grant  string // the request's grant_type
	Code   jeton.Code
	Reason jeton.Reason
	Param  string
	Answer cmn
}

// errorTable is THE mapping from engine codes and reasons to CMN_90000…CMN_90021
// (DESIGN rule 3: one table per dialect). Nothing else in jeton knows these codes.
var errorTable = []rule{
	// The dialect's own header and endpoint checks.
	{Reason: reasonTransactionID, Answer: cmnTransaction},
	{Reason: reasonInstitutionID, Answer: cmnInstitution},
	{Reason: reasonHeader, Answer: cmnHeader},
	{Reason: reasonSelfAuthorize, Answer: cmnSelfAuthorize},
	{Reason: reasonNotLinked, Answer: cmnForbidden},
	{Reason: reasonV1Disabled, Answer: cmnInstitution},
	{Reason: reasonBearer, Answer: cmnToken},
	{Reason: reasonUnknownUser, Answer: cmnUser},
	{Reason: reasonUserID, Answer: cmnInstitution},
	{Code: jeton.CodeAccessDenied, Reason: jeton.ReasonLocked, Answer: cmnBlocked},

	// Wire format (RFC 6749 §3.2 form rules).
	{Code: jeton.CodeInvalidRequest, Reason: jeton.ReasonInvalidCharacters, Answer: cmnNonPrintable},
	{Code: jeton.CodeInvalidScope, Reason: jeton.ReasonInvalidCharacters, Answer: cmnNonPrintable},
	{Code: jeton.CodeInvalidRequest, Reason: jeton.ReasonMissingParameter, Param: "grant_type", Answer: cmnGrantType},
	{Code: jeton.CodeInvalidRequest, Reason: jeton.ReasonMissingParameter, Param: "username", Answer: cmnUsername},
	{Code: jeton.CodeInvalidRequest, Reason: jeton.ReasonMissingParameter, Param: "password", Answer: cmnPassword},
	{Code: jeton.CodeInvalidRequest, Answer: cmnRequest},
	{Code: jeton.CodeUnsupportedGrantType, Answer: cmnGrantType},
	{Code: jeton.CodeInvalidScope, Answer: cmnScopes},

	// The client (RFC 6749 §5.2). invalid_client is one answer whatever the cause, so
	// no answer tells a stranger that a client id exists — except a disabled client,
	// which the spec answers CMN_90009: clientauth reports ReasonClientInactive only to
	// a client that proved its secret, so a stranger still learns nothing.
	{Code: jeton.CodeInvalidClient, Reason: jeton.ReasonClientInactive, Answer: cmnBlocked},
	{Code: jeton.CodeInvalidClient, Answer: cmnClient},
	{Code: jeton.CodeUnauthorizedClient, Reason: jeton.ReasonInstitution, Answer: cmnInstitution},
	{Code: jeton.CodeUnauthorizedClient, Answer: cmnClientConfig},

	// The customer. Every password refusal but a lock is one answer (unknown user and
	// wrong password alike, so usernames can't be probed).
	{Grant: jeton.GrantPassword, Code: jeton.CodeInvalidGrant, Reason: jeton.ReasonLocked, Answer: cmnBlocked},
	{Grant: jeton.GrantPassword, Code: jeton.CodeInvalidGrant, Answer: cmnUserCreds},
	{Code: jeton.CodeInvalidGrant, Reason: jeton.ReasonInstitution, Answer: cmnInstitution},
	{Code: jeton.CodeInvalidGrant, Answer: cmnToken}, // refresh tokens and codes
	{Code: jeton.CodeInvalidToken, Answer: cmnToken},
	{Code: jeton.CodeAccessDenied, Answer: cmnForbidden},

	// Capacity and availability, with Retry-After: a full password queue is a spike;
	// anything else temporarily unavailable (an FI outside its working hours) is
	// access blocked for now.
	{Code: jeton.CodeTemporarilyUnavailable, Reason: jeton.ReasonOverloaded, Answer: cmnSpike},
	// A rate limit is a spike limit (a token bucket refuses bursts), not CMN_90002's
	// quota (a volume per period): CMN_90003, 429 with Retry-After.
	{Code: jeton.CodeRateLimited, Answer: cmnSpike},
	{Code: jeton.CodeTemporarilyUnavailable, Answer: cmnUnavailable},
	{Code: jeton.CodeServerError, Answer: cmnInternal},

	// Codes of endpoints Candescent has no counterpart of.
	{Code: jeton.CodeUnsupportedTokenType, Answer: cmnRequest},
	{Code: jeton.CodeUnsupportedResponseType, Answer: cmnRequest},
	{Code: jeton.CodeInvalidAuthorizationDetails, Answer: cmnRequest}, // RFC 9396: never decoded here
	{Code: jeton.CodeInvalidRequestObject, Answer: cmnRequest},        // RFC 9101: no authorization endpoint here
	// DPoP (RFC 9449) is read by the standard dialect only.
	{Code: jeton.CodeInvalidDPoPProof, Answer: cmnRequest},
	{Code: jeton.CodeUseDPoPNonce, Answer: cmnRequest},
}

// lookup returns the answer for e in a request of grant.
func lookup(grant string, e *jeton.Error) cmn {
	for _, r := range errorTable {
		if (r.Grant == "" || r.Grant == grant) && (r.Code == "" || r.Code == e.Code) &&
			(r.Reason == "" || r.Reason == e.Reason) && (r.Param == "" || r.Param == e.Param) {
			return r.Answer
		}
	}
	if e.Status >= 500 {
		return cmnInternal
	}
	return cmnRequest
}

// dialectError is a failure of this dialect's own checks, mapped by errorTable like
// any engine error.
func dialectError(reason jeton.Reason, format string, args ...any) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidRequest, reason, format, args...)
}

// retryAfter sets Retry-After (RFC 9110 §10.2.3) when the engine suggested a delay.
func retryAfter(h http.Header, e *jeton.Error) {
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
}

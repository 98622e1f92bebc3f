// Package reqlog carries per-request facts from the handlers that learn them (a
// dialect knows the grant, the client id, the protocol error and its cause) to the one
// middleware that writes the request's log line. Handlers never log themselves, so
// every line has the request id and no handler can leak a secret into a log by
// accident: only these fields are logged.
package reqlog

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/netip"
)

// Info is what the access log records about a request.
type Info struct {
	ID string // request id (X-Request-Id)
	// ClientAddr is the client's address: the TCP peer, or what a trusted proxy
	// forwarded (httpapi.TrustedProxies). Rate limits, the log and audit use it.
	ClientAddr netip.Addr
	// HTTPS: the client reached this server, or the first trusted proxy, over TLS.
	HTTPS    bool
	Dialect  string
	Grant    string
	ClientID string // as presented; logged for tracing, never a secret
	Err      error  // a *jeton.Error; its Cause goes to the log only
	// ErrorID is the id a dialect sent the client with an error (AbbeyCross errorId),
	// so support can find the log line from what the client saw.
	ErrorID string
	// Issued are the kinds of token the answer carried (set only on success), for
	// the tokens-issued metric.
	Issued Tokens
	// TraceID is the request's trace id (32 hex digits) while tracing is on: the
	// trusted proxy's when it sent a W3C traceparent, else a new one.
	TraceID string
	// BodyRefused: the handler refused the request body unread because its declared
	// length is over the route's limit, so the server closes the connection after the
	// answer instead of draining a body nobody will read.
	BodyRefused bool
}

// DeclaresOver reports whether r declares (Content-Length) a body over limit bytes,
// and if so marks the request's Info BodyRefused; the caller answers 413 (RFC 9110
// §15.5.14) or its dialect's equivalent. Readers call it before reading, so
// an oversized body is refused as soon as the headers arrive, not after a slow client
// has sent limit bytes or the read timeout has passed.
func DeclaresOver(r *http.Request, limit int64) bool {
	if r.ContentLength <= limit {
		return false
	}
	From(r.Context()).BodyRefused = true
	return true
}

// StatusClientClosed is the status logged and counted for a request whose client hung
// up before it was answered (nginx's 499): nobody received an answer, and it is not a
// server fault, so it must not be logged or counted as a 5xx.
const StatusClientClosed = 499

// ClientGone reports whether r failed only because its client went away: net/http
// cancelled the request's context when the connection closed, and err, if any, is that
// cancellation (a store or hash call returns it).
func ClientGone(r *http.Request, err error) bool {
	return errors.Is(r.Context().Err(), context.Canceled) && (err == nil || errors.Is(err, context.Canceled))
}

// Operations other than a grant that a dialect records in Info.Grant, so metrics and
// logs tell them apart from token requests.
const (
	OpIntrospection = "introspection"
	OpRevocation    = "revocation"
	OpPAR           = "par" // a pushed authorization request (RFC 9126)
)

// Tokens is a set of token kinds, those an answer carried.
type Tokens uint8

// The token kinds.
const (
	TokenAccessJWT    Tokens = 1 << iota // an RFC 9068 JWT access token
	TokenAccessOpaque                    // an opaque access token (introspected)
	TokenRefresh                         // a new refresh token (a family's first, or a rotation's successor)
	TokenID                              // an OpenID Connect ID token
)

type key struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

// From returns the request's Info, or a throwaway one outside a logged request, so
// callers never need a nil check.
func From(ctx context.Context) *Info {
	if info, ok := ctx.Value(key{}).(*Info); ok {
		return info
	}
	return &Info{}
}

// AuditDetails returns a copy of details with the request's client address added as
// "client_addr" (who made the change, as the listener resolved it behind trusted
// proxies), for the audit event of a change the request makes.
func AuditDetails(ctx context.Context, details map[string]string) map[string]string {
	out := make(map[string]string, len(details)+1)
	maps.Copy(out, details)
	if a := From(ctx).ClientAddr; a.IsValid() {
		out["client_addr"] = a.String()
	}
	return out
}

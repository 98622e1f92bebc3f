// Package reqlog carries per-request facts from the handlers that learn them (a
// dialect knows the grant, the client id, the protocol error and its cause) to the one
// middleware that writes the request's log line. Handlers never log themselves, so
// every line has the request id and no handler can leak a secret into a log by
// accident: only these fields are logged.
package reqlog

import "context"

// Info is what the access log records about a request.
type Info struct {
	ID       string // request id (X-Request-Id)
	Dialect  string
	Grant    string
	ClientID string // as presented; logged for tracing, never a secret
	Err      error  // a *jeton.Error; its Cause goes to the log only
	// ErrorID is the id a dialect sent the client with an error (AbbeyCross errorId),
	// so support can find the log line from what the client saw.
	ErrorID string
}

// Operations other than a grant that a dialect records in Info.Grant, so metrics and
// logs tell them apart from token requests.
const (
	OpIntrospection = "introspection"
	OpRevocation    = "revocation"
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

package httpapi

import (
	"context"
	"net"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/reqlog"
)

// Tracing gives every request on a listener a server span (docs/operations.md
// "Traces"); nil is tracing off, and then Middleware makes no tracing call at all.
type Tracing struct {
	tracer *tracing.Tracer
	// proxies are the only peers whose W3C trace context (traceparent, tracestate)
	// is continued: anyone else could otherwise choose the trace id of our spans (and
	// its sampling), so their requests start a trace of their own.
	proxies TrustedProxies
}

// NewTracing returns the server spans of t trusting the trace context of proxies, or
// nil when t is nil (tracing off).
func NewTracing(t *tracing.Tracer, proxies TrustedProxies) *Tracing {
	if t == nil {
		return nil
	}
	return &Tracing{tracer: t, proxies: proxies}
}

// traceContext reads W3C Trace Context headers (traceparent, tracestate).
var traceContext = propagation.TraceContext{}

// start starts r's server span: a child of the trace context a trusted proxy sent,
// else the root of a new trace. Its name is the method until the route is known.
func (t *Tracing) start(ctx context.Context, r *http.Request, info *reqlog.Info) (context.Context, tracing.Span) {
	if t.proxies.trusts(peerAddr(r.RemoteAddr)) {
		ctx = traceContext.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	method := spanMethod(r.Method)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	attrs := append(make([]attribute.KeyValue, 0, 5), semconv.HTTPRequestMethodKey.String(method), semconv.URLScheme(scheme),
		tracing.KeyRequestID.String(info.ID))
	// The listener that took the request: one server span per listener (public,
	// admin, a vendor's own), told apart by the address and port it is bound to.
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		ap := a.AddrPort()
		attrs = append(attrs, semconv.ServerAddress(ap.Addr().Unmap().String()), semconv.ServerPort(int(ap.Port())))
	}
	ctx, span := t.tracer.StartServer(ctx, nameMethod(method), attrs...)
	info.TraceID = span.TraceID()
	return ctx, span
}

// end names the span after the route that served r (a pattern, never the raw path:
// a path can carry anything a client typed) and records the answer: the status, and
// the facts the access log writes that are no secret (client address, dialect, grant,
// presented client id, the error's code and reason, never its cause).
func (t *Tracing) end(span tracing.Span, r *http.Request, status int, info *reqlog.Info) {
	if r.Pattern != "" {
		span.SetName(routeName(nameMethod(spanMethod(r.Method)), r.Pattern))
		span.SetAttributes(semconv.HTTPRoute(r.Pattern))
	}
	if info.ClientAddr.IsValid() {
		span.SetAttributes(semconv.ClientAddress(info.ClientAddr.String()))
	}
	if info.Dialect != "" {
		span.SetAttributes(tracing.KeyDialect.String(info.Dialect), tracing.KeyGrantType.String(knownGrant(info.Grant)),
			tracing.KeyClientID.String(clip(info.ClientID, 64)))
	}
	span.EndServer(status, info.Err)
}

// routeName is the span name OpenTelemetry's HTTP conventions give a server span,
// "{method} {route}": the pattern itself when it names its method ("POST /token").
func routeName(method, pattern string) string {
	if m, _, ok := strings.Cut(pattern, " "); ok && m != "" && !strings.Contains(m, "/") {
		return pattern
	}
	return method + " " + pattern
}

// nameMethod is the method as a span name shows it: "HTTP" for one it does not know.
func nameMethod(m string) string {
	if m == "_OTHER" {
		return "HTTP"
	}
	return m
}

// spanMethod is r.Method if it is a standard one, else "_OTHER" (OpenTelemetry's
// HTTP conventions), so a client cannot name spans.
func spanMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

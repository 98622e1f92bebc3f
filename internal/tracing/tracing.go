// Package tracing is jeton's OpenTelemetry tracing (docs/operations.md "Traces"): the
// spans of a request, its engine steps, the password verification and each store call.
//
// Tracing is off unless an OTLP endpoint is configured, and off costs nothing: the
// components hold a *Tracer that is nil, and every method of a nil *Tracer and of a
// zero Span is one nil check that returns at once. No tracer provider, not even a
// no-op one, is called, so no context or span is allocated on the hot path.
//
// What a span may carry is decided here and in the callers, never by an error's text:
// names are route patterns and fixed step names, attributes are closed sets (error
// codes, store operations, grant types) or identifiers the access log writes too. An
// error's message is never recorded (a database error can quote the row it refused,
// which may hold a digest or a customer's name).
package tracing

import (
	"context"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jeton/jeton"
)

// ScopeName is the instrumentation scope of every jeton span.
const ScopeName = "github.com/jeton/jeton"

// Tracer starts jeton's spans. A nil *Tracer is tracing off.
type Tracer struct {
	tracer trace.Tracer
}

// New returns a Tracer over tp (nil: tracing off, New returns nil).
func New(tp trace.TracerProvider) *Tracer {
	if tp == nil {
		return nil
	}
	return &Tracer{tracer: tp.Tracer(ScopeName)}
}

// Start starts an internal span (an engine step, the password verification) as a
// child of the span in ctx. Off, it returns ctx itself and a zero Span.
func (t *Tracer) Start(ctx context.Context, name string) (context.Context, Span) {
	if t == nil {
		return ctx, Span{}
	}
	return t.start(ctx, name, trace.SpanKindInternal)
}

// StartServer starts the server span of an HTTP request under ctx's span, which is a
// remote parent only when the caller extracted one from a trusted proxy's headers.
func (t *Tracer) StartServer(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, Span) {
	if t == nil {
		return ctx, Span{}
	}
	ctx, s := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	return ctx, Span{span: s}
}

func (t *Tracer) start(ctx context.Context, name string, kind trace.SpanKind) (context.Context, Span) {
	ctx, s := t.tracer.Start(ctx, name, trace.WithSpanKind(kind))
	return ctx, Span{span: s}
}

// Span is one started span; the zero Span (tracing off) does nothing.
type Span struct {
	span trace.Span
}

// On reports whether the span records (tracing on). Callers guard any work done only
// for a span (building attributes) with it.
func (s Span) On() bool { return s.span != nil }

// TraceID is the span's trace id in hex ("" when off), for the access log.
func (s Span) TraceID() string {
	if s.span == nil {
		return ""
	}
	sc := s.span.SpanContext()
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}

// SetName renames the span (the server span learns its route after routing).
func (s Span) SetName(name string) {
	if s.span != nil {
		s.span.SetName(name)
	}
}

// SetString sets one string attribute.
func (s Span) SetString(key attribute.Key, value string) {
	if s.span != nil {
		s.setString(key, value)
	}
}

// setString is out of line so that SetString, inlined, is only its nil check.
//
//go:noinline
func (s Span) setString(key attribute.Key, value string) { s.span.SetAttributes(key.String(value)) }

// SetAttributes sets attributes; guard the call with On, since building the
// arguments costs even when the span is off.
func (s Span) SetAttributes(kv ...attribute.KeyValue) {
	if s.span != nil {
		s.span.SetAttributes(kv...)
	}
}

// End ends the span after its step returned err (see EndError).
func (s Span) End(err error) {
	if s.span != nil {
		s.end(err)
	}
}

func (s Span) end(err error) {
	if err != nil {
		EndError(s.span, err)
	}
	s.span.End()
}

// Attribute keys of jeton's own facts (standard ones come from semconv).
const (
	KeyGrantType = attribute.Key("jeton.grant_type")
	KeyDialect   = attribute.Key("jeton.dialect")
	KeyClientID  = attribute.Key("jeton.client_id")
	KeyRequestID = attribute.Key("jeton.request_id")
	KeyReason    = attribute.Key("jeton.error.reason")
)

// EndError records on span why its step failed, from err's protocol error only:
// error.type is the jeton.Code (RFC 6749 §5.2 and friends) and jeton.error.reason its
// finer reason. The span's status is Error only for a failure of the server
// (server_error, temporarily_unavailable: an answer of 5xx), so that refusing a bad
// request, which is the server doing its job, does not show as a fault; OpenTelemetry's
// HTTP conventions treat a server's 4xx the same way. The error's text (Cause,
// Description) is never recorded.
func EndError(span trace.Span, err error) {
	e := setError(span, err)
	status := e.Status
	if status == 0 {
		status = jeton.DefaultStatus(e.Code)
	}
	if status >= 500 {
		span.SetStatus(codes.Error, string(e.Code))
	}
}

// setError records err's code and reason (never its text) on span.
func setError(span trace.Span, err error) *jeton.Error {
	e := jeton.AsError(err)
	span.SetAttributes(semconv.ErrorTypeKey.String(string(e.Code)))
	if e.Reason != "" {
		span.SetAttributes(KeyReason.String(string(e.Reason)))
	}
	return e
}

// EndServer ends an HTTP server span with its answer's status and the request's
// protocol error (nil: none): error.type is the error's code (the status, for a 5xx
// without one), and the span is an error only for a 5xx answer, as OpenTelemetry's
// HTTP server conventions have it (a 4xx is the client's failure, and 499 a client
// that left).
func (s Span) EndServer(status int, err error) {
	if s.span == nil {
		return
	}
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	s.span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if err != nil {
		setError(s.span, err)
	}
	if status >= 500 {
		if err == nil {
			s.span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(status)))
		}
		s.span.SetStatus(codes.Error, "")
	}
	s.span.End()
}

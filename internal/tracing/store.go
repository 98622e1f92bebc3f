package tracing

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jeton/jeton"
)

// StoreHook makes one client span per store call, named "store.<Method>", as a hook of
// the store decorator (internal/storeobs.Hook: Begin runs before the call, the func it
// returns after it, with the call's error). Wiring installs it only when tracing is on,
// so a store without it pays nothing.
type StoreHook struct {
	tracer trace.Tracer
	system attribute.KeyValue
}

// NewStoreHook returns the hook for a store of kind "sqlite" or "postgres" (the
// db.system.name attribute), or nil when t is nil (tracing off: install no hook).
func NewStoreHook(t *Tracer, kind string) *StoreHook {
	if t == nil {
		return nil
	}
	system := semconv.DBSystemNameKey.String(kind)
	switch kind {
	case "sqlite":
		system = semconv.DBSystemNameSQLite
	case "postgres":
		system = semconv.DBSystemNamePostgreSQL
	}
	return &StoreHook{tracer: t.tracer, system: system}
}

// Begin starts the span of the store call op (a jeton.Store method name: a closed set)
// under ctx's span; the returned func ends it with the call's error.
func (h *StoreHook) Begin(ctx context.Context, op string) (context.Context, func(error)) {
	ctx, span := h.tracer.Start(ctx, "store."+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(h.system, semconv.DBOperationName(op)))
	return ctx, func(err error) {
		if err != nil {
			kind, fault := storeErrorType(err)
			span.SetAttributes(semconv.ErrorTypeKey.String(kind))
			if fault {
				span.SetStatus(codes.Error, kind)
			}
		}
		span.End()
	}
}

// storeErrors are the outcomes a store reports by a sentinel (store.go's contract):
// answers, not faults, so their spans keep an unset status.
var storeErrors = []struct {
	err  error
	kind string
}{
	{jeton.ErrNotFound, "not_found"},
	{jeton.ErrConflict, "conflict"},
	{jeton.ErrAlreadyUsed, "already_used"},
	{jeton.ErrWrongClient, "wrong_client"},
	{jeton.ErrLimitReached, "limit_reached"},
	{context.Canceled, "canceled"}, // the client went away (logged as 499)
}

// storeErrorType names err without its text, and reports whether it is a fault (any
// error other than a sentinel answer: a broken connection, a timeout, a bug).
func storeErrorType(err error) (kind string, fault bool) {
	for _, e := range storeErrors {
		if errors.Is(err, e.err) {
			return e.kind, false
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "deadline_exceeded", true
	}
	return "_OTHER", true // semconv's value for an error type it cannot name
}

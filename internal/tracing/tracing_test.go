package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/internal/tracing/tracingtest"
)

// TestOffCostsNothing: a nil Tracer hands back the very context it got and a zero
// Span, and starting and ending it allocates nothing.
func TestOffCostsNothing(t *testing.T) {
	var tr *tracing.Tracer
	ctx := context.Background()
	got, span := tr.Start(ctx, "engine.grant")
	if got != ctx || span.On() || span.TraceID() != "" {
		t.Fatalf("off: got a new context or a live span")
	}
	span.SetName("x")
	span.SetString("k", "v")
	span.End(errors.New("boom"))
	allocs := testing.AllocsPerRun(1000, func() {
		c, s := tr.Start(ctx, "engine.grant")
		s.SetString("k", "v")
		s.End(nil)
		_ = c
	})
	if allocs != 0 {
		t.Fatalf("off: %v allocations per span, want 0", allocs)
	}
	if tracing.New(nil) != nil {
		t.Fatal("New(nil) is not off")
	}
}

// TestSpansNestUnderTheirParent: a span started from a context holding another is its
// child, in the same trace, and the trace id is the hex the access log writes.
func TestSpansNestUnderTheirParent(t *testing.T) {
	tr, rec := tracingtest.New()
	ctx, parent := tr.StartServer(context.Background(), "POST /token")
	_, child := tr.Start(ctx, "engine.grant")
	child.End(nil)
	parent.End(nil)
	spans := rec.Ended()
	c, p := tracingtest.Find(t, spans, "engine.grant"), tracingtest.Find(t, spans, "POST /token")
	if c.Parent().SpanID() != p.SpanContext().SpanID() || c.SpanContext().TraceID() != p.SpanContext().TraceID() {
		t.Fatal("child is not under its parent")
	}
	if p.SpanKind() != trace.SpanKindServer || c.SpanKind() != trace.SpanKindInternal {
		t.Fatalf("kinds %v, %v", p.SpanKind(), c.SpanKind())
	}
	if got := parent.TraceID(); got != p.SpanContext().TraceID().String() || len(got) != 32 {
		t.Fatalf("TraceID %q", got)
	}
}

// TestEndRecordsTheCodeNotTheText: a failed step carries its error code and reason;
// only a server failure marks the span as an error, and no error text is exported.
func TestEndRecordsTheCodeNotTheText(t *testing.T) {
	tr, rec := tracingtest.New()
	const secretCause = "row (digest=7f3a9c2e11d04b) refused"
	refusal := jeton.Errorf(jeton.CodeInvalidGrant, jeton.ReasonReplay, "code was used").WithCause(errors.New(secretCause))
	_, s := tr.Start(context.Background(), "refused")
	s.End(refusal)
	_, s = tr.Start(context.Background(), "failed")
	s.End(jeton.ServerError(errors.New(secretCause)))
	_, s = tr.Start(context.Background(), "plain")
	s.End(fmt.Errorf("wrapped: %s", secretCause))
	spans := rec.Ended()
	r := tracingtest.Find(t, spans, "refused")
	if tracingtest.Attr(r, "error.type") != "invalid_grant" || tracingtest.Attr(r, "jeton.error.reason") != string(jeton.ReasonReplay) || r.Status().Code != codes.Unset {
		t.Errorf("refusal: %v %v", r.Attributes(), r.Status())
	}
	for _, name := range []string{"failed", "plain"} {
		f := tracingtest.Find(t, spans, name)
		if tracingtest.Attr(f, "error.type") != "server_error" || f.Status().Code != codes.Error || f.Status().Description != "server_error" {
			t.Errorf("%s: %v %v", name, f.Attributes(), f.Status())
		}
	}
	if n := tracingtest.CheckNoSecrets(t, spans, "7f3a9c2e11d04b", "code was used"); n < 9 {
		t.Fatalf("looked at %d strings", n)
	}
}

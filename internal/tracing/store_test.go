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

// hook is internal/storeobs.Hook, the store decorator's fixed interface.
type hook interface {
	Begin(ctx context.Context, op string) (context.Context, func(err error))
}

var _ hook = (*tracing.StoreHook)(nil)

func TestStoreHookOffIsNil(t *testing.T) {
	if tracing.NewStoreHook(nil, "sqlite") != nil {
		t.Fatal("a hook without a tracer")
	}
}

// TestStoreHookSpans: one client span per call, named by the method, under the
// caller's span; sentinel answers are named without being faults, other errors are
// faults, and no error text is exported.
func TestStoreHookSpans(t *testing.T) {
	tr, rec := tracingtest.New()
	var h hook = tracing.NewStoreHook(tr, "postgres")
	ctx, parent := tr.Start(context.Background(), "engine.grant")
	cases := []struct {
		op    string
		err   error
		kind  string
		fault bool
	}{
		{"GetClient", nil, "", false},
		{"ConsumeCode", fmt.Errorf("code: %w", jeton.ErrAlreadyUsed), "already_used", false},
		{"GetCustomer", jeton.ErrNotFound, "not_found", false},
		{"ClaimTokenSlot", jeton.ErrLimitReached, "limit_reached", false},
		{"UseAssertionID", context.Canceled, "canceled", false},
		{"RotateRefreshToken", errors.New(`duplicate key (digest)=(s3cr3t-d1gest)`), "_OTHER", true},
		{"CreateAccessToken", context.DeadlineExceeded, "deadline_exceeded", true},
	}
	for _, c := range cases {
		cctx, end := h.Begin(ctx, c.op)
		if trace.SpanFromContext(cctx).SpanContext().SpanID() == trace.SpanFromContext(ctx).SpanContext().SpanID() {
			t.Fatalf("%s: Begin did not start a span", c.op)
		}
		end(c.err)
	}
	parent.End(nil)
	spans := rec.Ended()
	p := tracingtest.Find(t, spans, "engine.grant")
	for _, c := range cases {
		s := tracingtest.Find(t, spans, "store."+c.op)
		if s.Parent().SpanID() != p.SpanContext().SpanID() || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("%s: not a client span under its caller", c.op)
		}
		if tracingtest.Attr(s, "db.system.name") != "postgresql" || tracingtest.Attr(s, "db.operation.name") != c.op {
			t.Errorf("%s: attributes %v", c.op, s.Attributes())
		}
		if got := tracingtest.Attr(s, "error.type"); got != c.kind {
			t.Errorf("%s: error.type %q, want %q", c.op, got, c.kind)
		}
		if fault := s.Status().Code == codes.Error; fault != c.fault {
			t.Errorf("%s: status %v, want fault %v", c.op, s.Status(), c.fault)
		}
	}
	tracingtest.CheckNoSecrets(t, spans, "s3cr3t-d1gest")
}

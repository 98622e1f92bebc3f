package token_test

import (
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/tracing/tracingtest"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/token"
)

// TestEngineSpans: each step of a token request is a span under the caller's span
// (the request's, in a server), in pipeline order, the grant step naming its grant
// type; a failed authentication ends the pipeline at its span with the error's code.
func TestEngineSpans(t *testing.T) {
	tr, rec := tracingtest.New()
	f := newTracedFixture(t, tr, &countingGate{})
	ctx, parent := tr.Start(context.Background(), "request")
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); err != nil {
		t.Fatal(err)
	}
	parent.End(nil)
	spans := rec.Ended()
	want := []string{token.SpanGates, token.SpanAuthenticate, token.SpanPolicies, token.SpanGrant, token.SpanIssue, "request"}
	if got := tracingtest.Names(spans); !slices.Equal(got, want) {
		t.Fatalf("spans %q, want %q", got, want)
	}
	req := tracingtest.Find(t, spans, "request")
	for _, s := range spans[:len(spans)-1] {
		if s.Parent().SpanID() != req.SpanContext().SpanID() || s.SpanContext().TraceID() != req.SpanContext().TraceID() {
			t.Errorf("%s is not a child of the request's span", s.Name())
		}
	}
	if g := tracingtest.Find(t, spans, token.SpanGrant); tracingtest.Attr(g, "jeton.grant_type") != jeton.GrantClientCredentials {
		t.Errorf("grant span attributes %v", g.Attributes())
	}

	rec.Reset()
	bad := ccRequest(nil, "")
	bad.Credentials.Secret = "wrong-secret-3f9a77"
	if _, err := f.engine.Token(context.Background(), bad); jeton.AsError(err).Code != jeton.CodeInvalidClient {
		t.Fatalf("wrong secret: %v", err)
	}
	spans = rec.Ended()
	if got := tracingtest.Names(spans); !slices.Equal(got, []string{token.SpanGates, token.SpanAuthenticate}) {
		t.Fatalf("refused request: spans %q", got)
	}
	auth := tracingtest.Find(t, spans, token.SpanAuthenticate)
	if tracingtest.Attr(auth, "error.type") != "invalid_client" || auth.Status().Code == codes.Error {
		t.Errorf("refused authentication: %v %v", auth.Attributes(), auth.Status())
	}
	tracingtest.CheckNoSecrets(t, spans, "wrong-secret-3f9a77")
}

// TestEngineWithoutTracerMakesNoSpans: the engine of a server with tracing off
// leaves the caller's context alone (no span reaches a store call).
func TestEngineWithoutTracerMakesNoSpans(t *testing.T) {
	tr, rec := tracingtest.New()
	f := newFixture(t, &countingGate{})
	ctx, parent := tr.Start(context.Background(), "request")
	if _, err := f.engine.Token(ctx, ccRequest(nil, "")); err != nil {
		t.Fatal(err)
	}
	parent.End(nil)
	if got := tracingtest.Names(rec.Ended()); !slices.Equal(got, []string{"request"}) {
		t.Fatalf("spans %q", got)
	}
}

// TestHashPoolSpans: every verification is one password.verify span under the
// caller's, whether it checks a password, the dummy or a decoy, with the time it
// waited for a worker and nothing of the password or the hash.
func TestHashPoolSpans(t *testing.T) {
	tr, rec := tracingtest.New()
	p := mustPool(t, token.HashPoolConfig{Params: cheap, Tracer: tr})
	const pw = "correct horse battery staple"
	h, _ := password.Hash(pw, cheap)
	ctx, parent := tr.Start(context.Background(), "request")
	if ok, err := p.Verify(ctx, pw, h); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
	if err := p.VerifyDummy(ctx, pw); err != nil {
		t.Fatal(err)
	}
	if err := p.Spend(ctx, pw, h); err != nil {
		t.Fatal(err)
	}
	parent.End(nil)
	spans := rec.Ended()
	verifies := slices.DeleteFunc(slices.Clone(spans), func(s sdktrace.ReadOnlySpan) bool { return s.Name() != token.SpanPasswordVerify })
	if len(verifies) != 3 {
		t.Fatalf("spans %q, want 3 × %s", tracingtest.Names(spans), token.SpanPasswordVerify)
	}
	req := tracingtest.Find(t, spans, "request")
	for _, s := range verifies {
		if s.Parent().SpanID() != req.SpanContext().SpanID() {
			t.Error("password.verify is not under its caller")
		}
		if tracingtest.Attr(s, "jeton.password.wait_us") == "" {
			t.Errorf("no wait time: %v", s.Attributes())
		}
	}
	tracingtest.CheckNoSecrets(t, spans, pw, h, h[len(h)-20:])
}

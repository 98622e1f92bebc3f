// Package tracingtest records jeton's spans in memory (the SDK's span recorder) for
// tests, and checks them for secrets.
package tracingtest

import (
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jeton/jeton/internal/tracing"
)

// New returns a Tracer whose every span (always sampled) ends up in the recorder.
func New() (*tracing.Tracer, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	return tracing.New(tp), rec
}

// Names returns the names of spans in the order they ended.
func Names(spans []sdktrace.ReadOnlySpan) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name()
	}
	return out
}

// Find returns the first span named name, failing t if there is none.
func Find(t testing.TB, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range spans {
		if s.Name() == name {
			return s
		}
	}
	t.Fatalf("no span %q among %q", name, Names(spans))
	return nil
}

// Attr returns span's attribute key as a string ("" when absent).
func Attr(span sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range span.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// Text is everything a span exports that a value could hide in: its name, status
// description, every attribute (key and value), every event's name and attributes,
// and its resource and scope.
func Text(span sdktrace.ReadOnlySpan) []string {
	out := []string{span.Name(), span.Status().Description, span.InstrumentationScope().Name}
	for _, kv := range span.Attributes() {
		out = append(out, string(kv.Key), kv.Value.Emit())
	}
	for _, ev := range span.Events() {
		out = append(out, ev.Name)
		for _, kv := range ev.Attributes {
			out = append(out, string(kv.Key), kv.Value.Emit())
		}
	}
	for _, l := range span.Links() {
		for _, kv := range l.Attributes {
			out = append(out, string(kv.Key), kv.Value.Emit())
		}
	}
	if r := span.Resource(); r != nil {
		for _, kv := range r.Attributes() {
			out = append(out, string(kv.Key), kv.Value.Emit())
		}
	}
	return out
}

// CheckNoSecrets fails t for every span whose exported text contains one of secrets
// (each at least 8 characters long, so that a short one cannot match by chance), and
// returns how many strings it looked at, so a caller can tell it looked at all.
func CheckNoSecrets(t testing.TB, spans []sdktrace.ReadOnlySpan, secrets ...string) int {
	t.Helper()
	for _, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("secret %q is too short to search for", s)
		}
	}
	n := 0
	for _, span := range spans {
		for _, text := range Text(span) {
			n++
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("span %q exports a secret (%.12s…) in %q", span.Name(), s, text)
				}
			}
		}
	}
	return n
}

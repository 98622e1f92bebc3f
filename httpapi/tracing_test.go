package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	otelcodes "go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/internal/tracing/tracingtest"
)

// stepDialect is fakeDialect plus one handler that makes a span of its own, as the
// engine's steps do, from the request's context.
type stepDialect struct{ tracer *tracing.Tracer }

func (stepDialect) Name() string { return "step" }

func (d stepDialect) Mount(mux Router, prefix string) {
	fakeDialect{}.Mount(mux, prefix)
	mux.HandleFunc("POST "+prefix+"/step", func(w http.ResponseWriter, r *http.Request) {
		_, span := d.tracer.Start(r.Context(), "engine.step")
		span.End(nil)
		w.WriteHeader(http.StatusNoContent)
	})
}

type tracedServer struct {
	*httptest.Server
	logs *bytes.Buffer
	rec  *tracetest.SpanRecorder
}

// newTracedServer serves stepDialect at /x with tracing on, trusting proxies.
func newTracedServer(t *testing.T, proxies ...string) *tracedServer {
	t.Helper()
	tr, rec := tracingtest.New()
	trusted, err := ParseTrustedProxies(proxies)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := New(Config{
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Ready: func(context.Context) error { return nil },
		Mounts: []Mount{{Prefix: "/x", Dialect: stepDialect{tracer: tr}}}, TrustedProxies: trusted, Tracer: tr,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &tracedServer{Server: srv, logs: &logs, rec: rec}
}

func (s *tracedServer) do(t *testing.T, method, path string, header map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// logLines are the access-log lines written so far.
func (s *tracedServer) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

const (
	remoteTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	remoteSpan  = "00f067aa0ba902b7"
)

var traceparent = map[string]string{"traceparent": "00-" + remoteTrace + "-" + remoteSpan + "-01", "tracestate": "vendor=opaque"}

// serverSpan is the one server span recorded, checked for its route and listener.
func serverSpan(t *testing.T, spans []sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.SpanKind() == trace.SpanKindServer {
			if found != nil {
				t.Fatal("two server spans for one request")
			}
			found = s
		}
	}
	if found == nil {
		t.Fatalf("no server span among %q", tracingtest.Names(spans))
	}
	if tracingtest.Attr(found, "server.port") == "" || tracingtest.Attr(found, "server.address") != "127.0.0.1" {
		t.Errorf("server span does not name its listener: %v", found.Attributes())
	}
	return found
}

// TestTrustedProxyTraceContinues: a trusted proxy's traceparent becomes the parent of
// the request's span, which is the parent of the handler's spans; the access log line
// carries the trace id.
func TestTrustedProxyTraceContinues(t *testing.T) {
	s := newTracedServer(t, "127.0.0.1/32")
	s.do(t, http.MethodPost, "/x/step", traceparent)
	spans := s.rec.Ended()
	srv := serverSpan(t, spans)
	if srv.Name() != "POST /x/step" || tracingtest.Attr(srv, "http.route") != "POST /x/step" || tracingtest.Attr(srv, "http.response.status_code") != "204" {
		t.Errorf("server span %q %v", srv.Name(), srv.Attributes())
	}
	if srv.SpanContext().TraceID().String() != remoteTrace || srv.Parent().SpanID().String() != remoteSpan || !srv.Parent().IsRemote() {
		t.Fatalf("server span not under the proxy's: trace %s parent %s", srv.SpanContext().TraceID(), srv.Parent().SpanID())
	}
	if srv.SpanContext().TraceState().Get("vendor") != "opaque" {
		t.Errorf("tracestate lost: %q", srv.SpanContext().TraceState())
	}
	step := tracingtest.Find(t, spans, "engine.step")
	if step.Parent().SpanID() != srv.SpanContext().SpanID() {
		t.Error("the handler's span is not under the request's")
	}
	if lines := s.logLines(t); len(lines) != 1 || lines[0]["trace_id"] != remoteTrace {
		t.Fatalf("access log %v, want trace_id %s", lines, remoteTrace)
	}
}

// TestUntrustedTraceparentIgnored: from a peer that is not a trusted proxy (or with
// no trusted proxies at all) the request's span is the root of a new trace, whatever
// traceparent it sent; the log has the new trace's id.
func TestUntrustedTraceparentIgnored(t *testing.T) {
	for name, proxies := range map[string][]string{"no trusted proxies": nil, "another proxy": {"10.0.0.0/8"}} {
		t.Run(name, func(t *testing.T) {
			s := newTracedServer(t, proxies...)
			s.do(t, http.MethodPost, "/x/step", traceparent)
			srv := serverSpan(t, s.rec.Ended())
			got := srv.SpanContext().TraceID().String()
			if got == remoteTrace || srv.Parent().IsValid() {
				t.Fatalf("untrusted traceparent was followed: trace %s parent %v", got, srv.Parent().SpanID())
			}
			if len(srv.SpanContext().TraceState().String()) != 0 {
				t.Error("untrusted tracestate kept")
			}
			if lines := s.logLines(t); len(lines) != 1 || lines[0]["trace_id"] != got {
				t.Fatalf("access log %v, want trace_id %s", lines, got)
			}
		})
	}
}

// TestServerSpanNamesRoutesNotPaths: a span is named by the route pattern that served
// the request, or only its method when none did; neither the raw path, an unknown
// method nor an error's cause reaches any span. A 5xx answer is an error span.
func TestServerSpanNamesRoutesNotPaths(t *testing.T) {
	s := newTracedServer(t)
	s.do(t, http.MethodGet, "/x/Secret-Path-5a1b2c?code=QueryCode-9d8e7f", nil)
	s.do(t, "FROBNICATE", "/x/token", nil)
	s.do(t, http.MethodPost, "/x/token?fail=1&grant=client_credentials", nil)
	spans := s.rec.Ended()
	if got := tracingtest.Names(spans); len(got) != 3 || got[0] != "GET" || got[1] != "HTTP" || got[2] != "POST /x/token" {
		t.Fatalf("span names %q", got)
	}
	if m := tracingtest.Attr(spans[1], "http.request.method"); m != "_OTHER" {
		t.Errorf("unknown method recorded as %q", m)
	}
	failed := spans[2]
	if failed.Status().Code != otelcodes.Error || tracingtest.Attr(failed, "error.type") != "server_error" ||
		tracingtest.Attr(failed, "http.response.status_code") != "500" || tracingtest.Attr(failed, "jeton.grant_type") != "client_credentials" ||
		tracingtest.Attr(failed, "jeton.dialect") != "test" || tracingtest.Attr(failed, "jeton.client_id") != "client-1" {
		t.Errorf("failed request's span: %v %v", failed.Attributes(), failed.Status())
	}
	if n := tracingtest.CheckNoSecrets(t, spans, "Secret-Path-5a1b2c", "QueryCode-9d8e7f", "FROBNICATE", "database on fire"); n < 20 {
		t.Fatalf("looked at only %d strings", n)
	}
}

// TestTracingOffLogsNoTraceID: with tracing off the access log has no trace_id, even
// for a trusted proxy's traceparent.
func TestTracingOffLogsNoTraceID(t *testing.T) {
	srv := newTestServer(t, nil)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/x/token", nil)
	req.Header.Set("traceparent", traceparent["traceparent"])
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if strings.Contains(srv.logs.String(), "trace_id") || !strings.Contains(srv.logs.String(), `"msg":"request"`) {
		t.Fatalf("log: %s", srv.logs)
	}
}

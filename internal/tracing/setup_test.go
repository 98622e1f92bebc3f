package tracing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/internal/tracing/tracingtest"
)

// otelEnv are the variables Setup and the SDK read; every test starts with none set.
var otelEnv = []string{
	"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
	"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
}

func cleanEnv(t *testing.T, set map[string]string) {
	for _, k := range otelEnv {
		t.Setenv(k, set[k])
	}
}

// TestSetupOnlyWhenAsked: tracing is off by default and on with an endpoint (flag or
// environment) or an explicit OTLP exporter; the SDK's off switches win; settings
// jeton cannot honour are refused at start.
func TestSetupOnlyWhenAsked(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		env      map[string]string
		on       bool
		err      string
	}{
		{name: "default", on: false},
		{name: "flag", endpoint: "http://127.0.0.1:4318", on: true},
		{name: "env endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, on: true},
		{name: "env traces endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, on: true},
		{name: "explicit exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, on: true},
		{name: "sdk disabled", endpoint: "http://127.0.0.1:4318", env: map[string]string{"OTEL_SDK_DISABLED": "true"}, on: false},
		{name: "exporter none", endpoint: "http://127.0.0.1:4318", env: map[string]string{"OTEL_TRACES_EXPORTER": "none"}, on: false},
		{name: "other exporter", endpoint: "http://127.0.0.1:4318", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, err: "OTLP only"},
		{name: "grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, err: "over HTTP"},
		{name: "not a URL", endpoint: "collector:4318", err: "--otlp-endpoint"},
		{name: "no host", endpoint: "http:///v1", err: "--otlp-endpoint"},
		{name: "query", endpoint: "http://c:4318/?x=1", err: "--otlp-endpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cleanEnv(t, c.env)
			tr, shutdown, err := tracing.Setup(context.Background(), tracing.Config{Endpoint: c.endpoint, Version: "test"})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one about %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer shutdown(context.Background())
			if on := tr != nil; on != c.on {
				t.Fatalf("on = %v, want %v", on, c.on)
			}
		})
	}
}

// export starts tracing with endpoint, ends one span and flushes it.
func export(t *testing.T, endpoint string) {
	t.Helper()
	tr, shutdown, err := tracing.Setup(context.Background(), tracing.Config{Endpoint: endpoint, Version: "v9.9.9"})
	if err != nil || tr == nil {
		t.Fatalf("Setup: %v, %v", tr, err)
	}
	_, span := tr.Start(context.Background(), "engine.issue")
	span.End(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestExportsOverOTLPHTTP: spans reach an OTLP/HTTP receiver at the flag's base URL +
// /v1/traces (or at the environment's endpoint), as service "jeton" with its version,
// unless OTEL_SERVICE_NAME names another.
func TestExportsOverOTLPHTTP(t *testing.T) {
	c := tracingtest.NewCollector(t)
	cases := []struct {
		name, endpoint string
		env            map[string]string
		path, service  string
	}{
		{name: "flag", endpoint: c.URL, path: "/v1/traces", service: "jeton"},
		{name: "flag with base path", endpoint: c.URL + "/otlp/", path: "/otlp/v1/traces", service: "jeton"},
		{name: "flag wins over env", endpoint: c.URL + "/flag", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://elsewhere.invalid/v1/traces"}, path: "/flag/v1/traces", service: "jeton"},
		{name: "env", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": c.URL, "OTEL_SERVICE_NAME": "jeton-eu1"}, path: "/v1/traces", service: "jeton-eu1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t, tc.env)
			c.Reset()
			export(t, tc.endpoint)
			paths, spans := c.Paths(), c.Spans()
			if len(paths) != 1 || paths[0] != tc.path || len(spans) != 1 {
				t.Fatalf("collector got %d spans at %q, want 1 at %q", len(spans), paths, tc.path)
			}
			s := spans[0]
			if s.Resource["service.name"] != tc.service || s.Resource["service.version"] != "v9.9.9" || s.GetName() != "engine.issue" {
				t.Fatalf("span %q of %v", s.GetName(), s.Resource)
			}
		})
	}
}

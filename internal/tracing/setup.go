package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Config says where traces go (serve's --otlp-endpoint and the standard OTEL_*
// environment variables, docs/operations.md "Traces").
type Config struct {
	// Endpoint is --otlp-endpoint: the base URL of an OTLP/HTTP receiver
	// (http://collector:4318), read as OTEL_EXPORTER_OTLP_ENDPOINT is: spans go to
	// its path + /v1/traces. It wins over the environment's endpoints.
	Endpoint string
	// Version is the service.version resource attribute.
	Version string
	// Logger receives the SDK's export errors (a collector that is down).
	Logger *slog.Logger
}

// ServiceName is the service.name of jeton's spans unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES names another.
const ServiceName = "jeton"

// enabled reports whether spans are exported. Off by default: on with an endpoint
// (the flag, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT) or an
// explicit OTEL_TRACES_EXPORTER=otlp (the SDK's default endpoint, localhost:4318);
// OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn it off whatever else is
// set. A setting jeton cannot honour (another exporter, OTLP over gRPC) is an error
// rather than silently no traces.
func (c Config) enabled() (bool, error) {
	env := os.Getenv
	if env("OTEL_SDK_DISABLED") == "true" {
		return false, nil
	}
	explicit := false
	switch exp := env("OTEL_TRACES_EXPORTER"); exp {
	case "none":
		return false, nil
	case "otlp":
		explicit = true
	case "":
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: jeton exports traces over OTLP only (otlp or none)", exp)
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		switch p := env(k); p {
		case "", "http/protobuf", "http/json":
		default:
			return false, fmt.Errorf("%s=%q: jeton exports OTLP over HTTP (http/protobuf or http/json; a collector's HTTP receiver, port 4318)", k, p)
		}
	}
	return explicit || c.Endpoint != "" || env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || env("OTEL_EXPORTER_OTLP_ENDPOINT") != "", nil
}

// Setup starts exporting spans when the configuration asks for it, and returns the
// Tracer and the shutdown that flushes what is buffered. Off, it returns a nil Tracer
// and a shutdown that does nothing. The exporter connects lazily: a collector that is
// down costs dropped spans and a logged error, never a failed start or a slow request
// (spans are exported in batches, off the request path).
func Setup(ctx context.Context, cfg Config) (*Tracer, func(context.Context) error, error) {
	noop := func(context.Context) error { return nil }
	on, err := cfg.enabled()
	if err != nil || !on {
		return nil, noop, err
	}
	opts, err := endpointOptions(cfg.Endpoint)
	if err != nil {
		return nil, noop, err
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, noop, fmt.Errorf("otlp exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(semconv.ServiceName(ServiceName), semconv.ServiceVersion(cfg.Version)),
		resource.WithFromEnv()) // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES: later wins
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, noop, fmt.Errorf("trace resource: %w", err)
	}
	if cfg.Logger != nil {
		logger := cfg.Logger
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { logger.Warn("tracing", "err", err) }))
	}
	// No sampler option: the SDK reads OTEL_TRACES_SAMPLER(_ARG), default
	// parentbased_always_on. The batcher reads OTEL_BSP_*.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return New(tp), tp.Shutdown, nil
}

// endpointOptions reads --otlp-endpoint: http(s)://host[:port][/base], to which
// /v1/traces is appended (OTLP/HTTP's path for traces), as the OTLP exporter
// specification does for OTEL_EXPORTER_OTLP_ENDPOINT. "" leaves the endpoint to the
// environment.
func endpointOptions(endpoint string) ([]otlptracehttp.Option, error) {
	if endpoint == "" {
		return nil, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--otlp-endpoint %q: want the collector's base URL, http(s)://host:port (OTLP/HTTP, port 4318 by default)", endpoint)
	}
	u.Path = path.Join("/", u.Path, "v1/traces")
	// WithEndpointURL sets host, path and TLS (https) or none (http) together, so no
	// part of an OTEL_EXPORTER_OTLP_* endpoint in the environment survives the flag.
	return []otlptracehttp.Option{otlptracehttp.WithEndpointURL(u.String())}, nil
}

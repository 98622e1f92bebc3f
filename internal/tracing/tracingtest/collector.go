package tracingtest

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// Collector is an OTLP/HTTP trace receiver (what an OpenTelemetry Collector's
// otlphttp receiver accepts: protobuf POSTs), keeping every export it was sent.
type Collector struct {
	*httptest.Server
	mu      sync.Mutex
	paths   []string
	exports []*coltrace.ExportTraceServiceRequest
}

// NewCollector starts a Collector, closed when t ends. Its URL is the base URL a
// jeton is given (--otlp-endpoint).
func NewCollector(t testing.TB) *Collector {
	c := &Collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(c.receive))
	t.Cleanup(c.Close)
	return c
}

func (c *Collector) receive(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := &coltrace.ExportTraceServiceRequest{}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, req) != nil {
		http.Error(w, "not an OTLP/HTTP protobuf export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.paths, c.exports = append(c.paths, r.URL.Path), append(c.exports, req)
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// Paths are the URL paths exports were posted to.
func (c *Collector) Paths() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.paths...)
}

// Reset forgets what was received.
func (c *Collector) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paths, c.exports = nil, nil
}

// Span is one received span with its resource's attributes.
type Span struct {
	*tracepb.Span
	Resource map[string]string
}

// TraceID and SpanID, ParentID are hex ("" for no parent).
func (s Span) TraceID() string  { return hex.EncodeToString(s.GetTraceId()) }
func (s Span) SpanID() string   { return hex.EncodeToString(s.GetSpanId()) }
func (s Span) ParentID() string { return hex.EncodeToString(s.GetParentSpanId()) }

// Attr is the span's attribute key as text ("" when absent).
func (s Span) Attr(key string) string {
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() == key {
			return valueText(kv.GetValue())
		}
	}
	return ""
}

// Text is everything the span exports that a value could hide in (Text's
// counterpart for received spans): name, status message, trace state, attributes,
// events, links and its resource.
func (s Span) Text() []string {
	out := []string{s.GetName(), s.GetStatus().GetMessage(), s.GetTraceState()}
	add := func(kvs []*commonpb.KeyValue) {
		for _, kv := range kvs {
			out = append(out, kv.GetKey(), valueText(kv.GetValue()))
		}
	}
	add(s.GetAttributes())
	for _, e := range s.GetEvents() {
		out = append(out, e.GetName())
		add(e.GetAttributes())
	}
	for _, l := range s.GetLinks() {
		out = append(out, l.GetTraceState())
		add(l.GetAttributes())
	}
	for k, v := range s.Resource {
		out = append(out, k, v)
	}
	return out
}

func valueText(v *commonpb.AnyValue) string {
	if v == nil {
		return ""
	}
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	}
	return prototext.Format(v) // arrays, maps, bytes: every string inside stays visible
}

// Spans are every span received so far, in the order received.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Span
	for _, e := range c.exports {
		for _, rs := range e.GetResourceSpans() {
			res := map[string]string{}
			for _, kv := range rs.GetResource().GetAttributes() {
				res[kv.GetKey()] = valueText(kv.GetValue())
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					out = append(out, Span{Span: sp, Resource: res})
				}
			}
		}
	}
	return out
}

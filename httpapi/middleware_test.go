package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeDialect records a token outcome the way a real dialect does.
type fakeDialect struct{}

func (fakeDialect) Name() string { return "test" }

func (fakeDialect) Mount(mux Router, prefix string) {
	mux.HandleFunc("POST "+prefix+"/token", func(w http.ResponseWriter, r *http.Request) {
		info := reqlog.From(r.Context())
		info.Dialect, info.Grant, info.ClientID = "test", r.URL.Query().Get("grant"), "client-1"
		if r.URL.Query().Get("fail") != "" {
			info.Err = jeton.ServerError(errors.New("database on fire"))
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(200)
	})
	mux.HandleFunc("GET "+prefix+"/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
}

type testServer struct {
	*httptest.Server
	logs    *bytes.Buffer
	reg     *prometheus.Registry
	metrics *Metrics
}

func newTestServer(t *testing.T, ready error) *testServer {
	t.Helper()
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	h := New(Config{
		Logger:  slog.New(slog.NewJSONHandler(&logs, nil)),
		Metrics: m,
		Ready:   func(context.Context) error { return ready },
		Mounts:  []Mount{{Prefix: "/x", Dialect: fakeDialect{}}},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, logs: &logs, reg: reg, metrics: m}
}

func TestRequestID(t *testing.T) {
	srv := newTestServer(t, nil)
	tests := []struct {
		in   string
		keep bool
	}{
		{"trace-123_abc.DEF", true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"has space", false},
		{"semi;colon", false},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
		req.Header.Set("X-Request-Id", tt.in)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-Id")
		if tt.keep && got != tt.in || !tt.keep && (got == tt.in || len(got) != 32) {
			t.Errorf("incoming %q: answered id %q", tt.in, got)
		}
	}
}

func TestPanicIsA500AndLogged(t *testing.T) {
	srv := newTestServer(t, nil)
	logs := srv.logs
	resp, err := http.Get(srv.URL + "/x/panic")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Errorf("status %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), `"msg":"panic"`) || !strings.Contains(logs.String(), `"error":"server_error"`) {
		t.Errorf("logs:\n%s", logs)
	}
}

func TestCauseLoggedWithRequestID(t *testing.T) {
	srv := newTestServer(t, nil)
	logs := srv.logs
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/x/token?fail=1&grant=client_credentials", nil)
	req.Header.Set("X-Request-Id", "req-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	line := logs.String()
	for _, want := range []string{`"request_id":"req-42"`, `"cause":"database on fire"`, `"level":"ERROR"`, `"client_id":"client-1"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s:\n%s", want, line)
		}
	}
}

func TestMetricLabelsAreBounded(t *testing.T) {
	srv := newTestServer(t, nil)
	reg := srv.reg
	for _, g := range []string{"client_credentials", "urn:evil:" + strings.Repeat("x", 50), "another-made-up-grant"} {
		resp, err := http.Post(srv.URL+"/x/token?grant="+g, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i := range 5 {
		resp, _ := http.Get(srv.URL + "/no/such/" + strings.Repeat("y", 40+i))
		resp.Body.Close()
	}
	token := map[string]string{"route": "test:/token", "dialect": "test", "outcome": "ok", "status": "200"}
	if got := counterValue(t, reg, "jeton_http_requests_total", with(token, "grant", "other")); got != 2 {
		t.Errorf("made-up grants counted under %q: %v, want 2", "other", got)
	}
	if got := counterValue(t, reg, "jeton_http_requests_total", with(token, "grant", "client_credentials")); got != 1 {
		t.Errorf("client_credentials: %v", got)
	}
	unmatched := map[string]string{"route": "unmatched", "dialect": "none", "grant": "none", "outcome": "http_error", "status": "404"}
	if got := counterValue(t, reg, "jeton_http_requests_total", unmatched); got != 5 {
		t.Errorf("random paths: %v under %v, want 5", got, unmatched)
	}
	if n := testutil.CollectAndCount(reg, "jeton_http_request_duration_seconds"); n != 2 {
		t.Errorf("%d route series, want 2 (the token route and unmatched)", n)
	}
	if n := testutil.CollectAndCount(reg, "jeton_token_request_duration_seconds"); n != 2 {
		t.Errorf("%d dialect/grant series, want 2 (client_credentials and other)", n)
	}
}

// A route has one label on every listener and under every prefix: the dialect's name
// and its own path, without method or prefix.
func TestRouteLabelsIgnorePrefixAndListener(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	logger := slog.New(slog.DiscardHandler)
	ready := func(context.Context) error { return nil }
	public := httptest.NewServer(New(Config{Logger: logger, Metrics: m, Ready: ready, Mounts: []Mount{{Prefix: "/vendor", Dialect: fakeDialect{}}}}))
	t.Cleanup(public.Close)
	own := httptest.NewServer(New(Config{Logger: logger, Metrics: m, Ready: ready, Mounts: []Mount{{Dialect: fakeDialect{}}}}))
	t.Cleanup(own.Close)
	for _, u := range []string{public.URL + "/vendor/token", own.URL + "/token"} {
		resp, err := http.Post(u+"?grant=client_credentials", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, u := range []string{public.URL + "/healthz", own.URL + "/healthz"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := counterValue(t, reg, "jeton_http_requests_total", map[string]string{"route": "test:/token"}); got != 2 {
		t.Errorf("test:/token counted %v times, want 2 (one per listener)", got)
	}
	if got := counterValue(t, reg, "jeton_http_requests_total", map[string]string{"route": "jeton:/healthz"}); got != 2 {
		t.Errorf("jeton:/healthz counted %v times, want 2", got)
	}
	if n := testutil.CollectAndCount(reg, "jeton_http_request_duration_seconds"); n != 2 {
		t.Errorf("%d route series, want 2", n)
	}
}

func TestRouteLabel(t *testing.T) {
	r := recorder{name: "cardcore", prefix: "/cardcore"}
	for pattern, want := range map[string]string{
		"POST /cardcore/institutions/oauth/token":              "cardcore:/institutions/oauth/token",
		"/cardcore/institutions/oauth/{institutionId}":         "cardcore:/institutions/oauth/{institutionId}",
		"GET example.com/cardcore/x":                           "cardcore:/x",
		"DELETE  /cardcore/institutions/oauth/{institutionId}": "cardcore:/institutions/oauth/{institutionId}",
	} {
		if got := r.label(pattern); got != want {
			t.Errorf("label(%q) = %q, want %q", pattern, got, want)
		}
	}
	if got := (routes{}).label(""); got != "unmatched" {
		t.Errorf("no pattern: %q", got)
	}
}

// counterValue sums the counter series of name whose labels include labels.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue series
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

func TestReadyz(t *testing.T) {
	for _, tt := range []struct {
		ready error
		want  int
	}{{nil, 200}, {errors.New("store down"), 503}} {
		srv := newTestServer(t, tt.ready)
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("ready=%v: %d, want %d", tt.ready, resp.StatusCode, tt.want)
		}
	}
}

// Every grant jeton implements is a metrics label of its own; anything else is "other".
func TestMetricsLabelEveryGrant(t *testing.T) {
	for _, g := range jeton.Grants() {
		if got := knownGrant(g); got != g {
			t.Errorf("knownGrant(%q) = %q", g, got)
		}
	}
	if got := knownGrant("urn:example:other"); got != "other" {
		t.Errorf("knownGrant of an unknown grant = %q", got)
	}
}

// BenchmarkObserve is what the request metrics cost a client_credentials request:
// the request counter, two latency histograms and the tokens-issued counter.
func BenchmarkObserve(b *testing.B) {
	m := NewMetrics(prometheus.NewRegistry())
	m.knowDialect("oauth2")
	info := &reqlog.Info{Dialect: "oauth2", Grant: jeton.GrantClientCredentials, Issued: reqlog.TokenAccessJWT}
	b.ReportAllocs()
	for b.Loop() {
		m.observe("oauth2:/oauth2/token", 200, info, time.Millisecond)
	}
}

package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
	"github.com/prometheus/client_golang/prometheus"
)

// lineWriter hands each log line to a channel (slog writes one line per Write).
type lineWriter chan map[string]any

func (w lineWriter) Write(p []byte) (int, error) {
	var m map[string]any
	if err := json.Unmarshal(p, &m); err != nil {
		return 0, err
	}
	w <- m
	return len(p), nil
}

// A client that hangs up while its request waits on the store is not a server error:
// one INFO line with status 499, and 499 (not 500, not server_error) in the metrics.
func TestClientGoneIsNotAServerError(t *testing.T) {
	lines := make(lineWriter, 8)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	started := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		info := reqlog.From(r.Context())
		info.Dialect, info.Grant = "test", jeton.GrantClientCredentials
		close(started)
		<-r.Context().Done() // a store call, cancelled with the request
		info.Err = jeton.AsError(fmt.Errorf("postgres: use assertion: %w", r.Context().Err()))
		w.WriteHeader(jeton.AsError(info.Err).Status)
	})
	srv := httptest.NewServer(Middleware(slog.New(slog.NewJSONHandler(lines, nil)), m, nil, mux))
	t.Cleanup(srv.Close)

	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-started
	c.Close()

	var line map[string]any
	select {
	case line = <-lines:
	case <-time.After(5 * time.Second):
		t.Fatal("no log line")
	}
	if line["level"] != "INFO" || line["status"] != float64(499) || line["error"] == string(jeton.CodeServerError) {
		t.Errorf("log line %v: want level INFO, status 499, no server_error", line)
	}
	select {
	case more := <-lines:
		t.Errorf("a second line: %v", more)
	case <-time.After(100 * time.Millisecond):
	}
	if got := labelCounts(t, reg, "status"); got != "499:1" {
		t.Errorf("requests by status: %s, want 499:1", got)
	}
	if got := labelCounts(t, reg, "outcome"); got != string(CodeClientClosed)+":1" {
		t.Errorf("requests by outcome: %s, want client_closed_request:1", got)
	}
}

// labelCounts lists the values of one label of the request counter with their counts.
func labelCounts(t *testing.T, reg *prometheus.Registry, label string) string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fams {
		if f.GetName() != "jeton_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					out = append(out, fmt.Sprintf("%s:%v", l.GetValue(), m.GetCounter().GetValue()))
				}
			}
		}
	}
	return strings.Join(out, " ")
}

package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// An error answer sent before the request body was read closes the connection at once
// instead of waiting for the body; an answer after the body was read, or a success,
// keeps the connection alive as before.
func TestUnreadBodyRefusal(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/early", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusBadRequest) })
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "no", http.StatusUnauthorized)
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewHTTPServer("", Middleware(slog.New(slog.DiscardHandler), NewMetrics(prometheus.NewRegistry()), nil, mux), slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	for _, tc := range []struct {
		path      string
		send      bool // send the declared body
		wantClose bool
	}{
		{"/early", false, true},
		{"/early", true, true},
		{"/late", true, false},
		{"/ok", true, false},
	} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n", tc.path)
		if tc.send {
			req += "01234567890123456789"
		}
		_ = c.SetDeadline(time.Now().Add(time.Second))
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%s (body sent %v): no answer within a second: %v", tc.path, tc.send, err)
		}
		resp.Body.Close()
		c.Close()
		if resp.Close != tc.wantClose {
			t.Errorf("%s (body sent %v): %d with Connection: close %v, want %v", tc.path, tc.send, resp.StatusCode, resp.Close, tc.wantClose)
		}
	}
}

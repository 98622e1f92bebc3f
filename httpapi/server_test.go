package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The request line and headers together may take MaxHeaderBytes (16 KiB, as
// docs/configuration.md says), not the 20 KiB net/http's slack would allow.
func TestHeaderLimit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := NewHTTPServer("", ok, slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	for _, tc := range []struct {
		size int
		want int
	}{
		{16<<10 - 64, http.StatusNoContent},
		{16 << 10, http.StatusNoContent},
		{16<<10 + 1, http.StatusRequestHeaderFieldsTooLarge},
		{17 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{19 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		if got := headStatus(t, ln.Addr().String(), tc.size); got != tc.want {
			t.Errorf("request head of %d bytes: status %d, want %d", tc.size, got, tc.want)
		}
	}
}

// headStatus sends a GET whose request line and headers (with the final CRLF) are
// exactly size bytes, padded with one X-Pad header, and returns the answer's status.
func headStatus(t *testing.T, addr string, size int) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := fmt.Sprintf("GET / HTTP/1.1\r\nHost: %s\r\nX-Pad: ", addr)
	pad := size - len(head) - len("\r\n\r\n")
	req := head + strings.Repeat("a", pad) + "\r\n\r\n"
	if len(req) != size {
		t.Fatalf("built %d bytes, want %d", len(req), size)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHeaderLimitPipelined: the 16 KiB head limit holds for a kept-alive connection's
// later requests too, where net/http's own limit lets buffered bytes through.
func TestHeaderLimitPipelined(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := NewHTTPServer("", ok, slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := ln.Addr().String()

	for _, tc := range []struct {
		size int
		want int
	}{
		{16 << 10, http.StatusNoContent},
		{16<<10 + 1, http.StatusRequestHeaderFieldsTooLarge},
		{19 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		first := fmt.Sprintf("GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		head := fmt.Sprintf("GET / HTTP/1.1\r\nHost: %s\r\nX-Pad: ", addr)
		second := head + strings.Repeat("a", tc.size-len(head)-len("\r\n\r\n")) + "\r\n\r\n"
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, first+second); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		var got []int
		for range 2 {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("head of %d bytes: %v", tc.size, err)
			}
			resp.Body.Close()
			got = append(got, resp.StatusCode)
		}
		c.Close()
		if got[0] != http.StatusNoContent || got[1] != tc.want {
			t.Errorf("pipelined head of %d bytes: statuses %v, want [204 %d]", tc.size, got, tc.want)
		}
	}
}

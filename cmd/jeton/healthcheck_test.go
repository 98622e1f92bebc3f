package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestReadyURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080":    "http://127.0.0.1:8080/readyz",
		"0.0.0.0:8080":      "http://127.0.0.1:8080/readyz",
		":8080":             "http://127.0.0.1:8080/readyz",
		"[::]:8080":         "http://[::1]:8080/readyz",
		"auth.internal:443": "http://auth.internal:443/readyz",
	} {
		if got, err := readyURL(addr); err != nil || got != want {
			t.Errorf("readyURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := readyURL("8080"); err == nil {
		t.Error("readyURL accepted an address without a port")
	}
}

// runHealthcheck runs `jeton healthcheck` as a process, as the image's HEALTHCHECK does.
func runHealthcheck(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"healthcheck"}, args...)...)
	cmd.Env = append(append(os.Environ(), runMainEnv+"=1"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestHealthcheck(t *testing.T) {
	r := startReplica(t, nil)
	addr := strings.TrimPrefix(r.public, "http://")
	if out, err := runHealthcheck(t, nil, "--addr", addr); err != nil || !strings.Contains(out, "ready") {
		t.Errorf("healthcheck --addr %s: %v\n%s", addr, err, out)
	}
	_, port, _ := net.SplitHostPort(addr)
	if out, err := runHealthcheck(t, []string{"JETON_ADDR=0.0.0.0:" + port}); err != nil {
		t.Errorf("healthcheck with JETON_ADDR=0.0.0.0:%s: %v\n%s", port, err, out)
	}

	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	defer notReady.Close()
	if out, err := runHealthcheck(t, nil, "--url", notReady.URL+"/readyz"); err == nil || !strings.Contains(out, "503") {
		t.Errorf("healthcheck of a 503: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if out, err := runHealthcheck(t, nil, "--addr", closed); err == nil {
		t.Errorf("healthcheck of a closed port succeeded:\n%s", out)
	}

	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ready\n")) }))
	defer tlsSrv.Close()
	if _, err := runHealthcheck(t, nil, "--url", tlsSrv.URL+"/readyz"); err == nil {
		t.Error("healthcheck trusted a self-signed certificate without --insecure-skip-verify")
	}
	if out, err := runHealthcheck(t, nil, "--url", tlsSrv.URL+"/readyz", "--insecure-skip-verify"); err != nil {
		t.Errorf("healthcheck --insecure-skip-verify: %v\n%s", err, out)
	}
}

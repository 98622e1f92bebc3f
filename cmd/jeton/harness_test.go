package main

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton/adminapi"
	"github.com/spf13/pflag"
)

// liveServer is a real `jeton serve` (the same startApp/run code path as the binary)
// on random loopback ports in a temp data dir.
type liveServer struct {
	app      *app
	dataDir  string
	public   string // base URL of the public listener
	adminURL string
	token    string // admin token
	admin    *adminapi.Client
	logs     *syncBuffer
	stop     func() error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServeConfig parses serve's real flags with args on top of their defaults.
func testServeConfig(t testing.TB, dataDir string, args ...string) serveConfig {
	t.Helper()
	var cfg serveConfig
	var configPath string
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	bindServeFlags(fs, &cfg, &configPath)
	base := []string{"--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json"}
	if err := fs.Parse(append(base, args...)); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startServer(t testing.TB, args ...string) *liveServer {
	t.Helper()
	dir := t.TempDir()
	return startServerIn(t, dir, args...)
}

func startServerIn(t testing.TB, dir string, args ...string) *liveServer {
	t.Helper()
	cfg := testServeConfig(t, dir, args...)
	logs := &syncBuffer{}
	level := "debug" // every line, for tests that read the log; --log-level overrides
	if slices.Contains(args, "--log-level") {
		level = cfg.LogLevel
	}
	logger, err := newLogger(logs, "json", level)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := startApp(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatalf("start: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	tok := readFile(t, filepath.Join(dir, adminTokenFile))
	adminURL := readFile(t, filepath.Join(dir, adminURLFile))
	s := &liveServer{
		app: a, dataDir: dir, public: "http://" + a.publicLn.Addr().String(),
		adminURL: adminURL, token: tok, logs: logs, stop: stop,
		admin: adminapi.NewClient(adminURL, tok, http.DefaultClient),
	}
	waitReady(t, s.public)
	return s
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func waitReady(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server never became ready")
}

// newClient registers an institution and a client_credentials client through the
// admin API and returns the client with its secret.
func (s *liveServer) newClient(t *testing.T, in adminapi.ClientInput) adminapi.CreatedClient {
	t.Helper()
	ctx := context.Background()
	if in.InstitutionID == "" {
		inst, err := s.admin.CreateInstitution(ctx, "First Credit Union")
		if err != nil {
			t.Fatal(err)
		}
		in.InstitutionID = inst.ID
	}
	if in.Name == "" {
		in.Name = "Partner app"
	}
	c, err := s.admin.CreateClient(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func discardLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.DiscardHandler)
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

// ownAddr is the address of a vendor module's own listener (e.g. --cardcore-addr).
func (s *liveServer) ownAddr(t *testing.T, name string) string {
	t.Helper()
	for _, x := range s.app.extra {
		if x.name == name {
			return x.ln.Addr().String()
		}
	}
	t.Fatalf("no own listener for %s", name)
	return ""
}

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jeton/jeton/adminapi"
)

// runMainEnv makes the test binary behave as the jeton binary (see TestMain), so a test
// can start real `jeton serve` processes, as an operator runs them, without building
// the binary a second time.
const runMainEnv = "JETON_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// replica is one `jeton serve` process.
type replica struct {
	public string // base URL of its public listener
	admin  *adminapi.Client
	logs   *syncBuffer // its stderr (JSON log lines)
	proc   *os.Process
	dir    string        // its data dir (admin URL and token files)
	exited chan struct{} // closed when the process has exited and its log is read
	err    error         // how it exited, once exited is closed
	killed bool          // kill ended it on purpose
}

// startReplica runs `jeton serve` in a process of its own with its own data dir, the
// given environment (e.g. JETON_KEK) and args, and waits until it has started.
func startReplica(t *testing.T, env []string, args ...string) *replica {
	t.Helper()
	return spawnReplica(t, env, args...)(t)
}

// spawnReplica starts the process and returns a wait for its start, so that several
// replicas can start at the same moment.
func spawnReplica(t *testing.T, env []string, args ...string) func(*testing.T) *replica {
	t.Helper()
	return spawnReplicaIn(t, t.TempDir(), env, args...)
}

// spawnReplicaIn is spawnReplica on the data dir dir (a restart on the same data).
func spawnReplicaIn(t *testing.T, dir string, env []string, args ...string) func(*testing.T) *replica {
	t.Helper()
	base := []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data-dir", dir,
		"--log-format", "json", "--shutdown-timeout", "2s"}
	cmd := exec.Command(os.Args[0], append(base, args...)...)
	cmd.Env = append(append(os.Environ(), runMainEnv+"=1", "JETON_CONFIG="), env...)
	if _, set := os.LookupEnv("GORACE"); !set {
		// Under -race the process would sleep a second at exit (the race detector's
		// default); a race it found still fails the test (exit status 66).
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	r := &replica{logs: &syncBuffer{}, dir: dir, exited: make(chan struct{})}
	started := make(chan map[string]any, 1)
	// Not a pipe the test reads: Wait returns only once every line is copied, so a
	// test that reads the log after the exit sees all of it.
	cmd.Stderr = &logLines{logs: r.logs, started: started}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.proc = cmd.Process
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		if err := r.stop(t); err != nil && !r.killed {
			t.Errorf("jeton serve exited: %v\n%s", err, r.logs.String())
		}
	})
	return func(t *testing.T) *replica {
		t.Helper()
		select {
		case line := <-started:
			r.public = "http://" + line["public"].(string)
		case <-r.exited:
			t.Fatalf("jeton serve exited at start (%v):\n%s", r.err, r.logs.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("jeton serve did not start:\n%s", r.logs.String())
		}
		r.admin = adminapi.NewClient(readFile(t, filepath.Join(dir, adminURLFile)), readFile(t, filepath.Join(dir, adminTokenFile)), http.DefaultClient)
		return r
	}
}

// logLines copies a process's log into logs and hands over its "jeton started" line.
type logLines struct {
	logs    *syncBuffer
	started chan<- map[string]any
	part    []byte // an unfinished line
}

func (w *logLines) Write(p []byte) (int, error) {
	_, _ = w.logs.Write(p)
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := w.part[:i]
		var fields map[string]any
		if bytes.Contains(line, []byte(`"jeton started"`)) && json.Unmarshal(line, &fields) == nil {
			select {
			case w.started <- fields:
			default:
			}
		}
		w.part = w.part[i+1:]
	}
}

// stop sends SIGTERM, as an orchestrator does, and kills the process if it has not
// exited within 10 s. It returns how the process ended; calling it again (the test's
// cleanup does) returns the same.
func (r *replica) stop(t *testing.T) error {
	const wait = 10 * time.Second
	// A connection the client pool dialled but never used is new to the server, and
	// http.Server.Shutdown waits up to 5 s for such a connection to send a request.
	http.DefaultClient.CloseIdleConnections()
	_ = r.proc.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
		return r.err
	case <-time.After(wait):
		_ = r.proc.Kill()
		<-r.exited
		t.Errorf("jeton serve did not stop within %v of SIGTERM", wait)
		return nil
	}
}

// kill ends the process with SIGKILL (a crash: nothing runs after it) and waits for it.
func (r *replica) kill() {
	r.killed = true
	_ = r.proc.Kill()
	<-r.exited
}

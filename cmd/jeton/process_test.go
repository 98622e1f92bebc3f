package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	dir    string // its data dir
	cmd    *exec.Cmd
	killed bool // by kill: the cleanup has nothing left to stop
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

// spawnReplicaIn is spawnReplica on the data dir dir, e.g. one a killed process left.
func spawnReplicaIn(t *testing.T, dir string, env []string, args ...string) func(*testing.T) *replica {
	t.Helper()
	base := []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data-dir", dir,
		"--log-format", "json", "--shutdown-timeout", "2s"}
	cmd := exec.Command(os.Args[0], append(base, args...)...)
	cmd.Env = append(append(os.Environ(), runMainEnv+"=1", "JETON_CONFIG="), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{logs: &syncBuffer{}, proc: cmd.Process, dir: dir, cmd: cmd}
	started := make(chan map[string]any, 1)
	go scanLog(stderr, r.logs, started)
	t.Cleanup(func() {
		if r.killed {
			return
		}
		if err := stopProcess(t, cmd); err != nil {
			t.Errorf("jeton serve exited: %v\n%s", err, r.logs.String())
		}
	})
	return func(t *testing.T) *replica {
		t.Helper()
		select {
		case line := <-started:
			r.public = "http://" + line["public"].(string)
		case <-time.After(30 * time.Second):
			t.Fatalf("jeton serve did not start:\n%s", r.logs.String())
		}
		r.admin = adminapi.NewClient(readFile(t, filepath.Join(dir, adminURLFile)), readFile(t, filepath.Join(dir, adminTokenFile)), http.DefaultClient)
		return r
	}
}

// kill ends the process with SIGKILL, as a crash or the OOM killer does: nothing
// runs after it, no deferred close, no last commit.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = r.cmd.Wait() // "signal: killed"
	r.killed = true
}

// scanLog copies a process's log into logs and hands over its "jeton started" line.
func scanLog(stderr io.Reader, logs *syncBuffer, started chan<- map[string]any) {
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		_, _ = logs.Write(append(sc.Bytes(), '\n'))
		var line map[string]any
		if strings.Contains(sc.Text(), `"jeton started"`) && json.Unmarshal(sc.Bytes(), &line) == nil {
			started <- line
		}
	}
}

// stopProcess sends SIGTERM, as an orchestrator does, and kills the process if it has
// not exited in time. It returns how the process ended.
func stopProcess(t *testing.T, cmd *exec.Cmd) error {
	// A connection the client pool dialled but never used is new to the server, and
	// http.Server.Shutdown waits up to 5 s for such a connection to send a request.
	http.DefaultClient.CloseIdleConnections()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Error("jeton serve did not stop within 10 s of SIGTERM")
		return nil
	}
}

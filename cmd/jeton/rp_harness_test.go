package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The openid-client v6 harness (testdata/rp): the certified relying party drives a
// live serve. testdata/rp/package.json and its lockfile pin openid-client; the
// packages are installed once per lockfile with `npm ci` into the user's cache
// directory, outside the source tree. Each run copies the scripts (run.mjs, lib.mjs,
// scenarios/*.mjs) into a temp dir next to a link to the installed node_modules and
// runs `node run.mjs <scenario>`. A new flow is a new file in testdata/rp/scenarios
// and a Go test that calls runRP with its name.

// rpDir is the harness's source directory.
const rpDir = "testdata/rp"

// rpModules installs the harness's packages (once per lockfile) and returns their
// node_modules directory. It skips t, saying why, only when node or npm is missing.
func rpModules(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: skipping the openid-client tests (.ci/run installs Debian's nodejs and npm)", tool)
		}
	}
	lock, err := os.ReadFile(filepath.Join(rpDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile(filepath.Join(rpDir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(pkg, lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "jeton-test", "rp-"+hex.EncodeToString(sum[:8]))
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(dir, ".installed")); err == nil {
		return modules
	}
	// Install into a fresh sibling and rename it into place: concurrent test
	// processes never see a half-installed tree.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for name, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", tmp, err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".installed"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, ".installed")); serr != nil {
			t.Fatalf("install the harness: %v", err)
		}
		// Another process installed it first.
	}
	return modules
}

// runRP runs one scenario with env (marshalled to JETON_RP) and decodes its result
// into out.
func runRP(t *testing.T, scenario string, env any, out any) {
	t.Helper()
	modules := rpModules(t)
	work := t.TempDir()
	if err := os.Symlink(modules, filepath.Join(work, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(work, os.DirFS(rpDir)); err != nil {
		t.Fatal(err)
	}
	cfg, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "run.mjs", scenario)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "JETON_RP="+string(cfg))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scenario %s: %v\nstdout:\n%s\nstderr:\n%s", scenario, err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), out); err != nil {
		t.Fatalf("scenario %s: result %q: %v\nstderr:\n%s", scenario, lines[len(lines)-1], err, stderr.String())
	}
}

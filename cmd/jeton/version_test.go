package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	cases := []struct {
		name   string
		linked buildInfo
		bi     *debug.BuildInfo
		want   buildInfo
	}{
		{"checkout build: devel, never (devel), with the stamped commit",
			buildInfo{}, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			buildInfo{Version: "devel", Commit: "0123456789abcdef0123456789abcdef01234567", Time: "2026-12-01T10:00:00Z", Modified: true}},
		{"go install module@version",
			buildInfo{}, &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			buildInfo{Version: "v1.4.0"}},
		{"release build: ldflags win over the build info",
			buildInfo{Version: "v1.5.0", Commit: "feedface", Time: "2026-12-02T00:00:00Z"},
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			buildInfo{Version: "v1.5.0", Commit: "feedface", Time: "2026-12-02T00:00:00Z"}},
		{"no build info", buildInfo{}, nil, buildInfo{Version: "devel"}},
	}
	for _, c := range cases {
		got := fromBuildInfo(c.linked, c.bi, c.bi != nil)
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestVersionBinary builds the real binary the way a release does (static, -trimpath,
// -ldflags -X; the same flags as cmd/jeton-image, so the two share the build cache) and
// runs it; and, in a git clone (CI), the way a developer does, with -buildvcs.
func TestVersionBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "jeton")
	build := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", append(append([]string{"build", "-trimpath", "-o", bin}, args...), ".")...)
		cmd.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", args, err, out)
		}
		out, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("jeton version: %v\n%s", err, out)
		}
		return string(out)
	}

	got := build("-buildvcs=false", "-ldflags",
		"-X main.version=v9.8.7 -X main.commit=0123456789abcdef0123456789abcdef01234567 -X main.commitTime=2026-12-01T10:00:00Z")
	want := "jeton v9.8.7\ncommit: 0123456789abcdef0123456789abcdef01234567\ncommit time: 2026-12-01T10:00:00Z\n"
	if !strings.HasPrefix(got, want) || !regexp.MustCompile(`\ngo: go1\.\S+ linux/\w+\n$`).MatchString(got) {
		t.Errorf("release build says\n%s\nwant it to start with\n%s", got, want)
	}

	// Go stamps vcs.* only where .git is a directory (a clone, not a worktree).
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(root)), ".git")); err != nil || !fi.IsDir() {
		t.Skip("checkout is a git worktree: go build does not stamp vcs.* there")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	got = build("-buildvcs=true")
	// Go 1.24+ stamps a checkout build with a pseudo-version of its commit
	// (v0.0.0-<time>-<12 hex digits>, +dirty with local changes); older ones with
	// "(devel)", which jeton prints as "devel". Either way the commit is HEAD.
	sha := strings.TrimSpace(string(head))
	versionLine := regexp.MustCompile(`^jeton (devel|v0\.0\.0-\d{14}-` + sha[:12] + `(\+dirty)?)\ncommit: ` + sha)
	if !versionLine.MatchString(got) || strings.Contains(got, "(devel)") {
		t.Errorf("checkout build says\n%s\nwant devel or the pseudo-version of %s, and that commit", got, sha)
	}
}

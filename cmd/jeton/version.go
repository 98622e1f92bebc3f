package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at link time by release builds (the image builder, cmd/jeton-image, and the
// Dockerfile):
//
//	go build -ldflags "-X main.version=v1.4.0 -X main.commit=$(git rev-parse HEAD) -X main.commitTime=2026-12-01T10:00:00Z"
//
// Without them the build info is used: the module version (`go install
// github.com/jeton/jeton/cmd/jeton@v1.4.0`) and the vcs.* settings Go stamps into a
// build from a git checkout (-buildvcs, the default outside GOFLAGS=-buildvcs=false).
var (
	version    = ""
	commit     = ""
	commitTime = ""
)

// buildInfo is what `jeton version` prints and `serve` logs at start.
type buildInfo struct {
	Version   string // ldflags, else the module version, else "devel"
	Commit    string // ldflags, else vcs.revision; "" when unknown
	Time      string // ldflags, else vcs.time (RFC 3339); "" when unknown
	Modified  bool   // vcs.modified: built from a tree with uncommitted changes
	GoVersion string
}

func readBuildInfo() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	return fromBuildInfo(buildInfo{Version: version, Commit: commit, Time: commitTime, GoVersion: runtime.Version()}, bi, ok)
}

// fromBuildInfo completes what the linker set (info) from Go's build info.
func fromBuildInfo(info buildInfo, bi *debug.BuildInfo, ok bool) buildInfo {
	if !ok {
		if info.Version == "" {
			info.Version = "devel"
		}
		return info
	}
	// "(devel)" is what Go records for a main module built from its own checkout: it is
	// not a version, so say "devel" (and never for a release, which sets main.version).
	if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	linkedCommit := info.Commit != ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == "" {
				info.Commit = s.Value
			}
		case "vcs.time":
			if info.Time == "" {
				info.Time = s.Value
			}
		case "vcs.modified":
			// Only when the commit is the stamped one: ldflags name a commit exactly.
			info.Modified = s.Value == "true" && !linkedCommit
		}
	}
	return info
}

// buildVersion is the one-word version for logs.
func buildVersion() string { return readBuildInfo().Version }

func (b buildInfo) write(w io.Writer) {
	fmt.Fprintln(w, "jeton", b.Version)
	c := b.Commit
	if c == "" {
		c = "unknown"
	} else if b.Modified {
		c += " (modified)"
	}
	fmt.Fprintln(w, "commit:", c)
	t := b.Time
	if t == "" {
		t = "unknown"
	}
	fmt.Fprintln(w, "commit time:", t)
	fmt.Fprintln(w, "go:", b.GoVersion, runtime.GOOS+"/"+runtime.GOARCH)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print jeton's version, the commit it was built from and its time",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			readBuildInfo().write(cmd.OutOrStdout())
		},
	}
}

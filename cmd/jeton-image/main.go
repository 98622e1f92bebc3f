// Command jeton-image builds jeton's container image without a Docker daemon: a static
// binary, a non-root user, CA certificates and a /data volume in one layer on nothing
// (FROM scratch), written as an OCI image layout in a tar archive (`oci-archive`), the
// same image the repository's Dockerfile builds. CI unpacks it and runs its entrypoint
// (.ci/image-check).
//
//	go run ./cmd/jeton-image build --out jeton.oci.tar [--version v1.4.0]
//	go run ./cmd/jeton-image unpack --image jeton.oci.tar --dir rootfs
//
// Load it with `podman load -i jeton.oci.tar`, `skopeo copy oci-archive:jeton.oci.tar
// docker://registry/jeton:v1.4.0`, or `docker load -i` (Docker 25 and later).
package main

import (
	"archive/tar"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "jeton-image:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: jeton-image build|unpack [flags] (-h for the flags)")
	}
	switch args[0] {
	case "build":
		return cmdBuild(args[1:], stdout)
	case "unpack":
		return cmdUnpack(args[1:], stdout)
	}
	return fmt.Errorf("unknown command %q: want build or unpack", args[0])
}

func cmdBuild(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	out := fs.String("out", "jeton.oci.tar", "the OCI archive to write")
	tag := fs.String("tag", "", "the image reference recorded in the archive (default jeton:<version>)")
	version := fs.String("version", "", "the release version (default: git describe --tags --always --dirty)")
	commitFlag := fs.String("commit", "", "the commit built (default: git rev-parse HEAD)")
	timeFlag := fs.String("time", "", "the commit's time, RFC 3339 (default: its git commit time); every file's mtime")
	arch := fs.String("arch", runtime.GOARCH, "GOARCH of the image")
	binary := fs.String("binary", "", "a static linux binary to package instead of building ./cmd/jeton (tests)")
	caCerts := fs.String("ca-certs", caPath, "the CA bundle to copy into the image")
	if err := fs.Parse(args); err != nil {
		return err
	}
	meta, err := resolveMeta(*version, *commitFlag, *timeFlag, *arch)
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(*caCerts)
	if err != nil {
		return fmt.Errorf("CA certificates: %w", err)
	}
	var bin []byte
	if *binary != "" {
		bin, err = os.ReadFile(*binary)
	} else {
		bin, err = goBuild(meta)
	}
	if err != nil {
		return err
	}
	img, err := buildImage(bin, ca, meta)
	if err != nil {
		return err
	}
	if *tag == "" {
		*tag = "jeton:" + meta.Version
	}
	if err := writeOCIArchive(*out, img, *tag); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s %s\n", *out, *tag, d)
	return nil
}

// resolveMeta fills what was not given from git. A release never says "(devel)".
func resolveMeta(version, commit, ts, arch string) (buildMeta, error) {
	git := func(args ...string) (string, error) {
		out, err := exec.Command("git", args...).Output()
		if err != nil {
			return "", fmt.Errorf("git %s: %w (pass the value as a flag)", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	var err error
	if version == "" {
		if version, err = git("describe", "--tags", "--always", "--dirty"); err != nil {
			return buildMeta{}, err
		}
	}
	if version == "" || strings.ContainsAny(version, " ()\t\n") {
		return buildMeta{}, fmt.Errorf("--version %q: a release needs a real version", version)
	}
	if commit == "" {
		if commit, err = git("rev-parse", "HEAD"); err != nil {
			return buildMeta{}, err
		}
	}
	if ts == "" {
		if ts, err = git("log", "-1", "--format=%cI", "HEAD"); err != nil {
			return buildMeta{}, err
		}
	}
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return buildMeta{}, fmt.Errorf("--time: %w", err)
	}
	return buildMeta{Version: version, Commit: commit, Time: t.UTC(), Arch: arch}, nil
}

// goBuild builds ./cmd/jeton static (CGO_ENABLED=0: modernc.org/sqlite is pure Go)
// with the release stamped in (cmd/jeton/version.go).
func goBuild(meta buildMeta) ([]byte, error) {
	dir, err := os.MkdirTemp("", "jeton-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "jeton")
	ldflags := fmt.Sprintf("-s -w -X main.version=%s -X main.commit=%s -X main.commitTime=%s",
		meta.Version, meta.Commit, meta.Time.Format(time.RFC3339))
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, "./cmd/jeton")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+meta.Arch, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/jeton (run from the repository root): %w", err)
	}
	return os.ReadFile(bin)
}

// writeOCIArchive writes img as an OCI image layout (index.json, oci-layout, blobs/)
// into a tar file, entries sorted with fixed times so equal images give equal files.
func writeOCIArchive(out string, img v1.Image, tag string) error {
	dir, err := os.MkdirTemp("", "jeton-oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag,
	})); err != nil {
		return err
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		if err != nil {
			f.Close()
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(h); err != nil {
			f.Close()
			return err
		}
		if _, err := tw.Write(data); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readOCIArchive reads the one image of an OCI archive; cleanup removes its copy.
func readOCIArchive(path string) (img v1.Image, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "jeton-oci-")
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	f, err := os.Open(path)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	defer f.Close()
	if err := untar(f, dir); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err == nil {
		var m *v1.IndexManifest
		if m, err = idx.IndexManifest(); err == nil {
			if len(m.Manifests) != 1 {
				err = fmt.Errorf("want one image in the archive, found %d", len(m.Manifests))
			} else {
				img, err = idx.Image(m.Manifests[0].Digest)
			}
		}
	}
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, cleanup, nil
}

// cmdUnpack flattens the image's layers into --dir and prints its entrypoint and
// command, one word a line, with the entrypoint's path made relative to --dir.
func cmdUnpack(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("unpack", flag.ContinueOnError)
	image := fs.String("image", "jeton.oci.tar", "the OCI archive to read")
	dir := fs.String("dir", "", "the directory to unpack the root filesystem into (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("unpack: --dir is required")
	}
	img, cleanup, err := readOCIArchive(*image)
	if err != nil {
		return err
	}
	defer cleanup()
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := untar(rc, *dir); err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	for i, w := range append(append([]string{}, cf.Config.Entrypoint...), cf.Config.Cmd...) {
		if i == 0 {
			w = filepath.Join(*dir, filepath.FromSlash(w))
		}
		fmt.Fprintln(stdout, w)
	}
	return nil
}

package main

import (
	"archive/tar"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's layout. The Dockerfile at the repository root builds the same one
// (TestDockerfileMatches keeps the two in step).
const (
	// UID and GID of the non-root user "jeton" (65532 is distroless's "nonroot").
	uid, gid = 65532, 65532
	binPath  = "/jeton"
	dataDir  = "/data"
	caPath   = "/etc/ssl/certs/ca-certificates.crt"
	// PublicPort is the port of the public listener inside the image (JETON_ADDR).
	publicPort = "8080"
)

// passwd and group name the user; the Dockerfile copies the same files.
var (
	//go:embed rootfs/etc/passwd
	passwd []byte
	//go:embed rootfs/etc/group
	group []byte
)

// imageConfig is the OCI image configuration: non-root, /data a volume, the binary its
// own HEALTHCHECK (there is no shell), SQLite in /data by default. The admin listener
// stays on the container's loopback unless JETON_ADMIN_ADDR says otherwise: reach it
// with `docker exec <container> /jeton … --data-dir /data`, or publish it on a private
// network only (docs/install.md).
func imageConfig(meta buildMeta) v1.Config {
	return v1.Config{
		User:         strconv.Itoa(uid) + ":" + strconv.Itoa(gid),
		Entrypoint:   []string{binPath},
		Cmd:          []string{"serve"},
		WorkingDir:   dataDir,
		Env:          []string{"JETON_DATA_DIR=" + dataDir, "JETON_ADDR=0.0.0.0:" + publicPort, "JETON_ADMIN_ADDR=127.0.0.1:8081"},
		ExposedPorts: map[string]struct{}{publicPort + "/tcp": {}},
		Volumes:      map[string]struct{}{dataDir: {}},
		Healthcheck: &v1.HealthConfig{
			Test:        []string{"CMD", binPath, "healthcheck"},
			Interval:    10 * time.Second,
			Timeout:     5 * time.Second,
			StartPeriod: 30 * time.Second,
			Retries:     3,
		},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "jeton",
			"org.opencontainers.image.version":  meta.Version,
			"org.opencontainers.image.revision": meta.Commit,
			"org.opencontainers.image.created":  meta.Time.UTC().Format(time.RFC3339),
		},
	}
}

// buildMeta is what a release stamps into the binary and the image.
type buildMeta struct {
	Version string
	Commit  string
	Time    time.Time // the commit's time: every file's mtime and the image's creation time
	Arch    string
}

// rootFS is the image's one layer, as an uncompressed tar. Entries are in a fixed
// order with fixed times and owners, so the same binary gives the same layer digest.
func rootFS(bin, caCerts []byte, mtime time.Time) ([]byte, error) {
	type entry struct {
		name     string
		mode     int64
		uid, gid int
		data     []byte
		dir      bool
	}
	entries := []entry{
		{name: "data/", mode: 0o700, uid: uid, gid: gid, dir: true},
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: group},
		{name: "etc/passwd", mode: 0o644, data: passwd},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: caCerts},
		{name: "jeton", mode: 0o755, data: bin},
		{name: "tmp/", mode: 0o1777, dir: true},
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: mtime, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if e.uid == uid {
			h.Uname, h.Gname = "jeton", "jeton"
		} else {
			h.Uname, h.Gname = "root", "root"
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildImage is an OCI image of one layer on nothing (FROM scratch).
func buildImage(bin, caCerts []byte, meta buildMeta) (v1.Image, error) {
	layerTar, err := rootFS(bin, caCerts, meta.Time)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: meta.Time},
			CreatedBy: "jeton-image " + meta.Version,
			Comment:   "static jeton binary, passwd/group, CA certificates, /data",
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Config = imageConfig(meta)
	cf.Created = v1.Time{Time: meta.Time}
	cf.OS, cf.Architecture = "linux", meta.Arch
	return mutate.ConfigFile(img, cf)
}

// safeJoin is dir/name for an archive entry name, refusing one that leaves dir.
func safeJoin(dir, name string) (string, error) {
	p := filepath.Join(dir, filepath.FromSlash(name))
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || filepath.IsAbs(rel) || len(rel) >= 3 && rel[:3] == ".."+string(filepath.Separator) {
		return "", fmt.Errorf("archive entry %q leaves the directory", name)
	}
	return p, nil
}

// untar writes regular files and directories of r into dir (owners are not kept:
// the caller need not be root). Links and devices are refused: the image has none.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p, err := safeJoin(dir, h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(p, os.FileMode(h.Mode).Perm()|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, os.FileMode(h.Mode).Perm())
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("archive entry %q: type %q not supported", h.Name, h.Typeflag)
		}
	}
}

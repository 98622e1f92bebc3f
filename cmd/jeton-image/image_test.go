package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var testMeta = buildMeta{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567",
	Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Arch: "amd64"}

// TestImage builds an image around a stand-in binary, writes and reads back the OCI
// archive, and checks its configuration and every file of its root filesystem.
func TestImage(t *testing.T) {
	dir := t.TempDir()
	bin := []byte("\x7fELF stand-in")
	ca := []byte("-----BEGIN CERTIFICATE-----\n")
	img, err := buildImage(bin, ca, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "jeton.oci.tar")
	if err := writeOCIArchive(archive, img, "jeton:v1.2.3"); err != nil {
		t.Fatal(err)
	}
	got, cleanup, err := readOCIArchive(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	want, _ := img.Digest()
	if d, _ := got.Digest(); d != want {
		t.Fatalf("archive holds %s, built %s", d, want)
	}
	if mt, _ := got.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s, want OCI", mt)
	}
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || !reflect.DeepEqual(c.Entrypoint, []string{"/jeton"}) || !reflect.DeepEqual(c.Cmd, []string{"serve"}) {
		t.Errorf("user %q entrypoint %q cmd %q", c.User, c.Entrypoint, c.Cmd)
	}
	if _, ok := c.Volumes["/data"]; !ok || len(c.Volumes) != 1 {
		t.Errorf("volumes %v, want /data", c.Volumes)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 8080/tcp", c.ExposedPorts)
	}
	if c.Healthcheck == nil || !reflect.DeepEqual(c.Healthcheck.Test, []string{"CMD", "/jeton", "healthcheck"}) {
		t.Errorf("healthcheck %+v: want the binary itself (no shell in the image)", c.Healthcheck)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" || !cf.Created.Time.Equal(testMeta.Time) {
		t.Errorf("os %s arch %s created %s", cf.OS, cf.Architecture, cf.Created)
	}
	if c.Labels["org.opencontainers.image.version"] != "v1.2.3" || c.Labels["org.opencontainers.image.revision"] != testMeta.Commit {
		t.Errorf("labels %v", c.Labels)
	}

	type file struct {
		mode     int64
		uid, gid int
		data     string
	}
	wantFiles := map[string]file{
		"data":                              {mode: 0o700, uid: 65532, gid: 65532},
		"etc":                               {mode: 0o755},
		"etc/group":                         {mode: 0o644, data: string(group)},
		"etc/passwd":                        {mode: 0o644, data: string(passwd)},
		"etc/ssl":                           {mode: 0o755},
		"etc/ssl/certs":                     {mode: 0o755},
		"etc/ssl/certs/ca-certificates.crt": {mode: 0o644, data: string(ca)},
		"jeton":                             {mode: 0o755, data: string(bin)},
		"tmp":                               {mode: 0o1777},
	}
	rc := mutate.Extract(got)
	defer rc.Close()
	tr := tar.NewReader(rc)
	gotFiles := map[string]file{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		gotFiles[strings.TrimSuffix(h.Name, "/")] = file{mode: h.Mode, uid: h.Uid, gid: h.Gid, data: string(data)}
		if !h.ModTime.Equal(testMeta.Time) {
			t.Errorf("%s: mtime %s, want the commit time", h.Name, h.ModTime)
		}
	}
	if !reflect.DeepEqual(gotFiles, wantFiles) {
		t.Errorf("root filesystem:\n got %v\nwant %v", gotFiles, wantFiles)
	}
	if !strings.Contains(string(passwd), "jeton:x:65532:65532:") || !strings.Contains(string(group), "jeton:x:65532:") {
		t.Errorf("passwd/group do not name uid/gid 65532:\n%s%s", passwd, group)
	}

	// The same inputs give the same image, byte for byte.
	again, err := buildImage(bin, ca, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := again.Digest(); d != want {
		t.Errorf("rebuild: digest %s, first build %s", d, want)
	}
	archive2 := filepath.Join(dir, "again.oci.tar")
	if err := writeOCIArchive(archive2, again, "jeton:v1.2.3"); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(archive)
	b, _ := os.ReadFile(archive2)
	if !bytes.Equal(a, b) {
		t.Error("two archives of the same image differ")
	}
}

func TestUnpack(t *testing.T) {
	dir := t.TempDir()
	img, err := buildImage([]byte("bin"), []byte("ca"), testMeta)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "i.tar")
	if err := writeOCIArchive(archive, img, "jeton:test"); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "rootfs")
	var out bytes.Buffer
	if err := run([]string{"unpack", "--image", archive, "--dir", root}, &out); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "jeton") + "\nserve\n"; out.String() != want {
		t.Errorf("unpack printed %q, want %q", out.String(), want)
	}
	if b, err := os.ReadFile(filepath.Join(root, "jeton")); err != nil || string(b) != "bin" {
		t.Errorf("unpacked binary: %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(root, "data")); err != nil || !fi.IsDir() {
		t.Errorf("unpacked /data: %v", err)
	}
}

func TestUntarRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../evil", "a/../../evil", "/../evil"} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		_, _ = tw.Write([]byte("x"))
		_ = tw.Close()
		dir := t.TempDir()
		if err := untar(&buf, filepath.Join(dir, "root")); err == nil {
			if _, serr := os.Stat(filepath.Join(dir, "evil")); serr == nil {
				t.Errorf("%q was written outside the directory", name)
			}
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"})
	_ = tw.Close()
	if err := untar(&buf, t.TempDir()); err == nil {
		t.Error("a symlink was accepted")
	}
}

func TestResolveMetaRefusesDevel(t *testing.T) {
	for _, v := range []string{"(devel)", "v1 2"} {
		if _, err := resolveMeta(v, "c", "2026-12-01T10:00:00Z", "amd64"); err == nil {
			t.Errorf("version %q accepted", v)
		}
	}
	m, err := resolveMeta("v1.0.0", "abc", "2026-12-01T11:00:00+01:00", "arm64")
	if err != nil || m.Time != testMeta.Time || m.Arch != "arm64" {
		t.Errorf("resolveMeta: %+v, %v", m, err)
	}
}

// TestDockerfileMatches keeps the Dockerfile's final stage the image cmd/jeton-image
// builds: FROM scratch, the same user, entrypoint, command, environment, port, volume
// and HEALTHCHECK, a static build, the same passwd/group files.
func TestDockerfileMatches(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines, drop comments.
	var lines []string
	var cur string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		lines = append(lines, cur+l)
		cur = ""
	}
	var final []string // instructions of the last stage
	for _, l := range lines {
		if strings.HasPrefix(strings.ToUpper(l), "FROM ") {
			final = nil
		}
		final = append(final, l)
	}
	if len(final) == 0 || final[0] != "FROM scratch" {
		t.Fatalf("final stage starts %q, want FROM scratch", final)
	}
	c := imageConfig(testMeta)
	jsonArr := func(s []string) string { b, _ := json.Marshal(s); return strings.ReplaceAll(string(b), ",", ", ") }
	want := []string{
		"USER " + c.User,
		"WORKDIR " + c.WorkingDir,
		"ENV " + strings.Join(c.Env, " "),
		"EXPOSE 8080/tcp",
		`VOLUME ["/data"]`,
		"HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD " + jsonArr(c.Healthcheck.Test[1:]),
		"ENTRYPOINT " + jsonArr(c.Entrypoint),
		"CMD " + jsonArr(c.Cmd),
		"COPY --from=build --chown=65532:65532 --chmod=0700 /data /data",
	}
	for _, w := range want {
		found := false
		for _, l := range final {
			found = found || l == w
		}
		if !found {
			t.Errorf("Dockerfile's final stage lacks %q", w)
		}
	}
	all := strings.Join(lines, "\n")
	for _, w := range []string{"CGO_ENABLED=0", "-X main.version=${VERSION}", "cp cmd/jeton-image/rootfs/etc/passwd cmd/jeton-image/rootfs/etc/group /rootfs/etc/", caPath, "chmod 1777 /rootfs/tmp"} {
		if !strings.Contains(all, w) {
			t.Errorf("Dockerfile lacks %q", w)
		}
	}
	if c.Healthcheck.Interval != 10*time.Second || c.Healthcheck.Timeout != 5*time.Second || c.Healthcheck.StartPeriod != 30*time.Second || c.Healthcheck.Retries != 3 {
		t.Errorf("healthcheck timings %+v differ from the Dockerfile's", c.Healthcheck)
	}
}

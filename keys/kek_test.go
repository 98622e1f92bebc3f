package keys

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadKEKFromEnv(t *testing.T) {
	kek := bytes.Repeat([]byte{0xfb}, KEKSize) // 0xfb encodes to '+' / '-' and '/' / '_'
	for name, text := range map[string]string{
		"std padded":   base64.StdEncoding.EncodeToString(kek),
		"std raw":      base64.RawStdEncoding.EncodeToString(kek),
		"url padded":   base64.URLEncoding.EncodeToString(kek),
		"url raw":      base64.RawURLEncoding.EncodeToString(kek),
		"with newline": base64.StdEncoding.EncodeToString(kek) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := LoadKEK(filepath.Join(t.TempDir(), "never-created"), text)
			if err != nil {
				t.Fatalf("LoadKEK: %v", err)
			}
			if !bytes.Equal(got, kek) {
				t.Fatalf("LoadKEK = %x, want %x", got, kek)
			}
		})
	}
}

func TestLoadKEKFromEnvRefusesBadValues(t *testing.T) {
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	for name, text := range map[string]string{
		"16 bytes":   short,
		"33 bytes":   base64.StdEncoding.EncodeToString(make([]byte, 33)),
		"not base64": strings.Repeat("*", 44),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kek")
			_, err := LoadKEK(path, text)
			if err == nil {
				t.Fatal("LoadKEK accepted a bad JETON_KEK")
			}
			if !strings.Contains(err.Error(), "JETON_KEK") || strings.Contains(err.Error(), text) {
				t.Errorf("error %q should name JETON_KEK and not echo its value", err)
			}
			if _, statErr := os.Stat(path); statErr == nil {
				t.Error("a KEK file was created although JETON_KEK was set")
			}
		})
	}
}

func TestLoadKEKCreatesFileOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "kek")
	first, err := LoadKEK(path, "")
	if err != nil {
		t.Fatalf("first LoadKEK: %v", err)
	}
	if len(first) != KEKSize {
		t.Fatalf("KEK is %d bytes, want %d", len(first), KEKSize)
	}
	assertMode(t, path, 0o600)
	assertMode(t, dir, 0o700|os.ModeDir)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(first) + "\n"; string(text) != want {
		t.Errorf("file holds %d bytes in an unexpected format, want base64 + newline", len(text))
	}
	second, err := LoadKEK(path, "")
	if err != nil {
		t.Fatalf("second LoadKEK: %v", err)
	}
	if !bytes.Equal(first, second) {
		t.Error("second LoadKEK returned a different key; the file must be reused")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the KEK file (no temp files left)", len(entries))
	}
}

func TestLoadKEKRefusesBadFiles(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, KEKSize)) + "\n"
	cases := []struct {
		name, text string
		mode       os.FileMode
		want       string
	}{
		{"group readable", good, 0o640, "chmod 600"},
		{"world readable", good, 0o604, "chmod 600"},
		{"wrong length", base64.StdEncoding.EncodeToString(make([]byte, 24)) + "\n", 0o600, "want 32"},
		{"not base64", "this is not a key\n", 0o600, "not valid base64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kek")
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKEK(path, "")
			if err == nil {
				t.Fatal("LoadKEK accepted the file")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q should name %s and say %q", msg, path, tc.want)
			}
			if strings.Contains(msg, strings.TrimSpace(tc.text)) {
				t.Errorf("error %q echoes the file content", msg)
			}
		})
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

func TestLoadPreviousKEKs(t *testing.T) {
	a, b, c := bytes.Repeat([]byte{1}, KEKSize), bytes.Repeat([]byte{2}, KEKSize), bytes.Repeat([]byte{3}, KEKSize)
	dir := t.TempDir()
	path := filepath.Join(dir, "old.kek")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(c)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := base64.StdEncoding.EncodeToString(a) + ", " + base64.RawURLEncoding.EncodeToString(b) + "\n"
	got, err := LoadPreviousKEKs([]string{path}, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], b) || !bytes.Equal(got[2], c) {
		t.Fatalf("LoadPreviousKEKs = %x, want a, b (env) then c (file)", got)
	}
	if got, err := LoadPreviousKEKs(nil, ""); err != nil || len(got) != 0 {
		t.Fatalf("LoadPreviousKEKs with nothing = %x, %v", got, err)
	}
	missing := filepath.Join(dir, "missing.kek")
	if _, err := LoadPreviousKEKs([]string{missing}, ""); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("a missing previous KEK file = %v, want an error naming it", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("a previous KEK file was created")
	}
	bad := base64.StdEncoding.EncodeToString(a) + "," + base64.StdEncoding.EncodeToString(make([]byte, 16))
	if _, err := LoadPreviousKEKs(nil, bad); err == nil || !strings.Contains(err.Error(), "JETON_PREVIOUS_KEK (key 2)") || strings.Contains(err.Error(), bad) {
		t.Fatalf("a bad JETON_PREVIOUS_KEK = %v, want it named by position, not echoed", err)
	}
	loose := filepath.Join(dir, "loose.kek")
	if err := os.WriteFile(loose, []byte(base64.StdEncoding.EncodeToString(c)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPreviousKEKs([]string{loose}, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a group-readable previous KEK file = %v", err)
	}
}

// TestReadKEKNeverCreates: the commands that re-seal read the KEK but never invent
// one; generate writes a new one but never overwrites.
func TestReadKEKNeverCreatesAndGenerateNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek")
	if _, err := ReadKEK(path, ""); err == nil {
		t.Fatal("ReadKEK of a missing file succeeded")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("ReadKEK created a KEK file")
	}
	kek, err := GenerateKEKFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("generated file: %v, %v; want mode 0600", info, err)
	}
	if got, err := ReadKEK(path, ""); err != nil || !bytes.Equal(got, kek) {
		t.Fatalf("ReadKEK = %x, %v; want the generated key", got, err)
	}
	if _, err := GenerateKEKFile(path); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("GenerateKEKFile over an existing file = %v, want fs.ErrExist", err)
	}
	if got, _ := ReadKEK(path, ""); !bytes.Equal(got, kek) {
		t.Fatal("the existing KEK file changed")
	}
	env := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, KEKSize))
	if got, err := ReadKEK(filepath.Join(t.TempDir(), "missing"), env); err != nil || got[0] != 5 {
		t.Fatalf("ReadKEK with JETON_KEK = %x, %v", got, err)
	}
}

package keys

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode"
)

// KEKSize is the length of the key-encryption key: 32 bytes selects AES-256.
const KEKSize = 32

// LoadKEK returns the key-encryption key that seals every private signing key.
//
// If env (the value of JETON_KEK, passed in by the caller so that this package reads no
// environment itself) is non-empty it must be base64 of exactly 32 bytes; otherwise the
// key is read from the file at path, which is created with a fresh random key on first
// start. A file readable or writable by group or others is refused: the KEK protects
// every signing key, so a loose mode is a misconfiguration to fix, not to warn about.
//
// Errors name the variable or the path, never the key.
func LoadKEK(path string, env string) ([]byte, error) {
	if env != "" {
		kek, err := decodeKEK([]byte(env))
		if err != nil {
			return nil, fmt.Errorf("keys: JETON_KEK: %w", err)
		}
		return kek, nil
	}
	if path == "" {
		return nil, errors.New("keys: no key-encryption key: JETON_KEK is empty and no KEK file path is set")
	}
	kek, err := readKEKFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKEKFile(path)
	}
	return kek, err
}

// ReadKEK is LoadKEK for commands that must not invent a key: a missing KEK file is
// an error, never created (a fresh KEK would open nothing and seal under a key no
// replica has).
func ReadKEK(path string, env string) ([]byte, error) {
	if env != "" {
		return LoadKEK("", env)
	}
	if path == "" {
		return nil, errors.New("keys: no key-encryption key: JETON_KEK is empty and no KEK file path is set")
	}
	return readKEKFile(path)
}

// GenerateKEKFile writes a fresh random KEK to a new file at path (mode 0600; an
// existing file is an error, never overwritten) and returns it.
func GenerateKEKFile(path string) ([]byte, error) {
	return writeNewKEKFile(path)
}

// LoadPreviousKEKs returns the key-encryption keys accepted for reading only, during a
// KEK rotation (docs/operations.md, "Rotating the KEK"): those in env (the value of
// JETON_PREVIOUS_KEK: base64 keys separated by commas or white space) and those in the
// files at paths. Unlike the current KEK's file, a previous KEK's file must exist.
// Errors name the variable or the path, never a key.
func LoadPreviousKEKs(paths []string, env string) ([][]byte, error) {
	var keks [][]byte
	for i, text := range strings.FieldsFunc(env, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		kek, err := decodeKEK([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("keys: JETON_PREVIOUS_KEK (key %d): %w", i+1, err)
		}
		keks = append(keks, kek)
	}
	for _, path := range paths {
		kek, err := readKEKFile(path)
		if err != nil {
			return nil, fmt.Errorf("%w (a previous KEK file)", err)
		}
		keks = append(keks, kek)
	}
	return keks, nil
}

// decodeKEK accepts the standard or URL-safe base64 alphabet, padded or not, so that
// the output of `openssl rand -base64 32` and of base64url tools both work.
func decodeKEK(text []byte) ([]byte, error) {
	s := strings.TrimRight(strings.TrimSpace(string(text)), "=")
	kek, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		kek, err = base64.RawURLEncoding.DecodeString(s)
	}
	if err != nil {
		// The decoder's error quotes a byte offset only, but say nothing of the input.
		return nil, errors.New("not valid base64")
	}
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("decodes to %d bytes, want %d", len(kek), KEKSize)
	}
	return kek, nil
}

func readKEKFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: KEK file: %w", err) // the caller tests fs.ErrNotExist
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keys: KEK file %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("keys: KEK file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("keys: KEK file %s has mode %04o, which group or others can access; run chmod 600 on it", path, perm)
	}
	// A KEK file is 45 bytes; anything much larger is not one, so don't read it all.
	text, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return nil, fmt.Errorf("keys: KEK file %s: cannot read: %w", path, err)
	}
	kek, err := decodeKEK(text)
	clear(text)
	if err != nil {
		return nil, fmt.Errorf("keys: KEK file %s: %w", path, err)
	}
	return kek, nil
}

// createKEKFile writes a fresh key unless the file exists, so that two processes
// starting at once agree on one key (the loser of os.Link reads the winner's file).
func createKEKFile(path string) ([]byte, error) {
	kek, err := writeNewKEKFile(path)
	if errors.Is(err, fs.ErrExist) {
		return readKEKFile(path)
	}
	return kek, err
}

// writeNewKEKFile writes a fresh key to a temporary file and links it into place, so
// that a concurrent reader never sees a half-written file; fs.ErrExist if path exists.
func writeNewKEKFile(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: cannot create directory for KEK file %s: %w", path, err)
	}
	kek := make([]byte, KEKSize)
	_, _ = rand.Read(kek) // crypto/rand.Read never fails (Go 1.24+)
	text := base64.StdEncoding.AppendEncode(nil, kek)
	text = append(text, '\n')

	tmp, err := os.CreateTemp(dir, ".kek-*") // CreateTemp uses mode 0600
	if err != nil {
		return nil, fmt.Errorf("keys: cannot create KEK file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeAndSync(tmp, text); err != nil {
		return nil, fmt.Errorf("keys: cannot write KEK file %s: %w", path, err)
	}
	clear(text)
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("keys: KEK file %s exists; it is never overwritten: %w", path, fs.ErrExist)
		}
		return nil, fmt.Errorf("keys: cannot create KEK file %s: %w", path, err)
	}
	return kek, nil
}

func writeAndSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Package goldenfile compares a dialect's answers with its testdata/*.golden files, one
// file per answer; `go test ./dialect/... -update` rewrites them from the answers. Every
// dialect's tests share it, so one flag and one failure message serve them all.
package goldenfile

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the answers")

// Check compares got with testdata/<name>.golden (writing it first under -update).
func Check(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("answer differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

package console

import (
	"io/fs"
	"regexp"
	"testing"
)

// TestStringsComplete: every string key a template or the code names is in strings_,
// so no page shows a raw key.
func TestStringsComplete(t *testing.T) {
	re := regexp.MustCompile(`\bt "([a-zA-Z.]+)"|\btf "([a-zA-Z.]+)"|\bT\("([a-zA-Z.]+)"\)|tfmt\("([a-zA-Z.]+)"`)
	var keys []string
	_ = fs.WalkDir(assets, "templates", func(path string, d fs.DirEntry, err error) error {
		if d != nil && !d.IsDir() {
			b, _ := fs.ReadFile(assets, path)
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				keys = append(keys, m[1]+m[2]+m[3]+m[4])
			}
		}
		return nil
	})
	for _, name := range []string{"signin", "apps", "new", "inst", "cust", "hours", "keys", "audit", "activity", "error", "users", "userconfirm"} {
		keys = append(keys, name+".title")
	}
	if len(keys) < 50 {
		t.Fatalf("found only %d keys: the pattern is wrong", len(keys))
	}
	for _, k := range keys {
		if _, ok := strings_[k]; !ok {
			t.Errorf("string %q is missing", k)
		}
	}
}

package candescentstore

import (
	"testing"

	"github.com/jeton/jeton/internal/storeobs/storegen"
)

// observed_gen.go observes every method of Store: regenerate it (go generate) when
// the interface changes.
func TestGeneratedIsCurrent(t *testing.T) {
	if err := storegen.Stale("."); err != nil {
		t.Fatal(err)
	}
}

package abbeycross

import (
	"testing"

	"github.com/jeton/jeton"
)

// A new engine code must get a row here, or it would be answered as INTERNAL_ERROR.
func TestErrorTableAnswersEveryCode(t *testing.T) {
	for _, c := range jeton.Codes {
		if _, ok := byCode[c]; !ok {
			t.Errorf("no row for %s", c)
		}
	}
}

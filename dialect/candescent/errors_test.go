package candescent

import (
	"testing"

	"github.com/jeton/jeton"
)

// A new engine code must get a general row here (any grant, reason and parameter), or
// it would fall through to the table's default answer.
func TestErrorTableAnswersEveryCode(t *testing.T) {
	for _, c := range jeton.Codes {
		if !hasGeneralRule(c) {
			t.Errorf("no general row for %s", c)
		}
	}
}

func hasGeneralRule(c jeton.Code) bool {
	for _, r := range errorTable {
		if r.Code == c && r.Grant == "" && r.Reason == "" && r.Param == "" {
			return true
		}
	}
	return false
}

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

// TestErrorTableAnswersEveryEngineCode: every code the engine can return has an entry
// of its own, so none falls through to the generic answer by accident.
func TestErrorTableAnswersEveryEngineCode(t *testing.T) {
	for _, c := range []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
		"unsupported_grant_type", "invalid_scope", "access_denied", "server_error", "temporarily_unavailable", "invalid_token"} {
		found := false
		for _, r := range errorTable {
			if string(r.Code) == c && r.Grant == "" && r.Reason == "" && r.Param == "" {
				found = true
			}
		}
		if !found {
			t.Errorf("no general rule for engine code %s", c)
		}
	}
}

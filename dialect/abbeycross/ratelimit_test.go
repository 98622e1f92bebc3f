package abbeycross

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
)

// A request over a rate limit is AbbeyCross's schema: 429 RATE_LIMITED with an
// errorId (also recorded for the log line) and Retry-After.
func TestRateLimitedAnswer(t *testing.T) {
	w := httptest.NewRecorder()
	info := &reqlog.Info{}
	e := jeton.Errorf(jeton.CodeRateLimited, jeton.ReasonRateClient, "too many requests; retry later")
	e.RetryAfter = 2 * time.Second
	writeError(w, info, e)
	var body errorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != 429 || w.Header().Get("Retry-After") != "2" || body.Code != CodeRateLimited || body.ErrorID == "" || body.ErrorID != info.ErrorID {
		t.Fatalf("got %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
}

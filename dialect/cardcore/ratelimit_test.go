package cardcore

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// A request over a rate limit is CardCore's envelope with statusCode 429 and
// Retry-After.
func TestRateLimitedAnswer(t *testing.T) {
	w := httptest.NewRecorder()
	e := jeton.Errorf(jeton.CodeRateLimited, jeton.ReasonRateFailedAuth, "too many requests; retry later")
	e.RetryAfter = 3 * time.Second
	writeError(w, e)
	var env envelope
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if w.Code != 429 || w.Header().Get("Retry-After") != "3" || env.StatusCode != 429 || env.Error != "rate_limited" || env.Message == "" {
		t.Fatalf("got %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
}

package oauth2

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// A request over a rate limit is 429 (RFC 6585 §4) with Retry-After and slow_down.
func TestRateLimitedAnswer(t *testing.T) {
	w := httptest.NewRecorder()
	e := jeton.Errorf(jeton.CodeRateLimited, jeton.ReasonRateAddress, "too many requests; retry later")
	e.RetryAfter = 1500 * time.Millisecond
	answeredError(w, e)
	var body struct{ Error string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != 429 || w.Header().Get("Retry-After") != "2" || body.Error != "slow_down" {
		t.Fatalf("got %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
}

package candescent

import (
	"encoding/json"
	"encoding/xml"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// A request over a rate limit is Candescent's spike limit, CMN_90003 with 429 and
// Retry-After, for every grant.
func TestRateLimitedAnswer(t *testing.T) {
	for _, grant := range []string{jeton.GrantClientCredentials, jeton.GrantPassword, jeton.GrantRefreshToken} {
		w := httptest.NewRecorder()
		e := jeton.Errorf(jeton.CodeRateLimited, jeton.ReasonRatePassword, "too many requests; retry later")
		e.RetryAfter = time.Second
		answeredError(w, grant, e)
		var body errorResponse
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if w.Code != 429 || w.Header().Get("Retry-After") != "1" || body.Code != "CMN_90003" || body.Message != "Spike limit violation" {
			t.Errorf("%s: got %d Retry-After %q %s", grant, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
}

// V1 (legacy XML) answers only 400, 401 and 500: a rate limit is CMN_90003 with 400,
// and Retry-After still says when to come back.
func TestRateLimitedAnswerV1(t *testing.T) {
	w := httptest.NewRecorder()
	e := jeton.Errorf(jeton.CodeRateLimited, jeton.ReasonRateAddress, "too many requests; retry later")
	e.RetryAfter = 4 * time.Second
	writeV1Error(w, jeton.GrantClientCredentials, e)
	var body v1Status
	if err := xml.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != 400 || w.Header().Get("Retry-After") != "4" || body.ErrorCode != "CMN_90003" {
		t.Fatalf("got %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
}

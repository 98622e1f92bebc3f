package clientauth

import (
	"encoding/json"
	"testing"
)

// TestLooseDate: numbers and numeric strings are NumericDates (RFC 7519 §2); anything
// else is refused.
func TestLooseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{`1639806203`, 1639806203, true},
		{`"1639806203"`, 1639806203, true},
		{`1639806203.5`, 1639806203, true},
		{`"1639806203.5"`, 1639806203, true},
		{`"tomorrow"`, 0, false},
		{`""`, 0, false},
		{`"1e9"`, 0, false},
		{`-5`, 0, false},
		{`true`, 0, false},
		{`" 1639806203"`, 0, false},
		{`99999999999999`, 0, false},
	} {
		var d looseDate
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err == nil) != tc.ok || (tc.ok && d.t.Unix() != tc.want) {
			t.Errorf("%s: got %v, %v; want %d, ok %v", tc.in, d.t.Unix(), err, tc.want, tc.ok)
		}
	}
}

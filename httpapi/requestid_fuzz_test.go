package httpapi

import "testing"

// FuzzRequestID: an incoming X-Request-Id is kept exactly when it is 1 to 64 plain
// characters (letters, digits, '-', '_', '.'); anything else is replaced by a fresh
// id, so the id echoed and logged is always plain and bounded.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"req-1", "", "a b", "ab\r\nX-Evil: 1", "é", "0123456789012345678901234567890123456789012345678901234567890123", "x.y_z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := requestID(in)
		plain := func(s string) bool {
			for i := 0; i < len(s); i++ {
				c := s[i]
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
					return false
				}
			}
			return s != "" && len(s) <= 64
		}
		if !plain(out) || (out == in) != plain(in) {
			t.Fatalf("requestID(%q) = %q", in, out)
		}
	})
}

package password

import "testing"

// FuzzDecode checks that the PHC parser never panics and that whatever it accepts is
// exactly what encode writes back (so there is one spelling per hash).
func FuzzDecode(f *testing.F) {
	good, _ := Hash("password123", cheap)
	f.Add(good)
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=,t=,p=$x$y")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decode(s)
		if err != nil {
			return
		}
		if got := encode(p, salt, key); got != s {
			t.Fatalf("decode accepted %q but encodes back as %q", s, got)
		}
	})
}

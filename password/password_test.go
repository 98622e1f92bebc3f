package password

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// cheap keeps the tests fast; one test exercises DefaultParams.
var cheap = Params{MemoryKiB: 64, Passes: 1, Lanes: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	ok, err := Verify("correct horse battery", h)
	if err != nil || !ok {
		t.Fatalf("Verify(right) = %v, %v; want true", ok, err)
	}
	ok, err = Verify("correct horse batterx", h)
	if err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v; want false", ok, err)
	}
	h2, _ := Hash("correct horse battery", cheap)
	if h2 == h {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestDefaultParams(t *testing.T) {
	h, err := Hash("a default-cost password", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	parts := strings.Split(h, "$")
	salt, _ := base64.RawStdEncoding.DecodeString(parts[4])
	key, _ := base64.RawStdEncoding.DecodeString(parts[5])
	if len(salt) != 16 || len(key) != 32 {
		t.Fatalf("salt %d bytes, key %d bytes; want 16, 32", len(salt), len(key))
	}
	if ok, err := Verify("a default-cost password", h); err != nil || !ok {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
}

func TestVerifyFlippedBit(t *testing.T) {
	h, _ := Hash("password123", cheap)
	parts := strings.Split(h, "$")
	for _, idx := range []int{4, 5} { // salt, then hash
		raw, _ := base64.RawStdEncoding.DecodeString(parts[idx])
		raw[0] ^= 1
		mod := append([]string(nil), parts...)
		mod[idx] = base64.RawStdEncoding.EncodeToString(raw)
		ok, err := Verify("password123", strings.Join(mod, "$"))
		if err != nil || ok {
			t.Errorf("flipped bit in part %d: Verify = %v, %v; want false, nil", idx, ok, err)
		}
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	good, _ := Hash("password123", cheap)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	mk := func(head string) string { return head + "$" + salt + "$" + key }
	cases := map[string]struct {
		phc  string
		want error
	}{
		"empty":           {"", ErrMalformed},
		"argon2i":         {mk("$argon2i$v=19$m=64,t=1,p=1"), ErrMalformed},
		"bcrypt":          {"$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234", ErrMalformed},
		"old version":     {mk("$argon2id$v=16$m=64,t=1,p=1"), ErrMalformed},
		"no version":      {"$argon2id$m=64,t=1,p=1$" + salt + "$" + key, ErrMalformed},
		"param order":     {mk("$argon2id$v=19$t=1,m=64,p=1"), ErrMalformed},
		"missing param":   {mk("$argon2id$v=19$m=64,t=1"), ErrMalformed},
		"non-numeric":     {mk("$argon2id$v=19$m=x,t=1,p=1"), ErrMalformed},
		"negative":        {mk("$argon2id$v=19$m=64,t=-1,p=1"), ErrMalformed},
		"leading zero":    {mk("$argon2id$v=19$m=064,t=1,p=1"), ErrMalformed},
		"overflow":        {mk("$argon2id$v=19$m=99999999999,t=1,p=1"), ErrMalformed},
		"padded salt":     {"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, ErrMalformed},
		"bad base64":      {"$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key, ErrMalformed},
		"short salt":      {"$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key, ErrMalformed},
		"short hash":      {"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA", ErrMalformed},
		"extra field":     {good + "$x", ErrMalformed},
		"memory too big":  {mk("$argon2id$v=19$m=2097152,t=1,p=1"), ErrParams},
		"passes too many": {mk("$argon2id$v=19$m=64,t=11,p=1"), ErrParams},
		"zero passes":     {mk("$argon2id$v=19$m=64,t=0,p=1"), ErrParams},
		"zero lanes":      {mk("$argon2id$v=19$m=64,t=1,p=0"), ErrParams},
		"lanes too many":  {mk("$argon2id$v=19$m=4096,t=1,p=255"), ErrParams},
		"memory < 8p":     {mk("$argon2id$v=19$m=15,t=1,p=2"), ErrParams},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ok, err := Verify("password123", tc.phc)
			if ok || !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, %v; want false, %v", ok, err, tc.want)
			}
		})
	}
}

func TestHashRejectsBadParams(t *testing.T) {
	for _, p := range []Params{{}, {MemoryKiB: 64, Passes: 11, Lanes: 1}, {MemoryKiB: 2 << 20, Passes: 1, Lanes: 1}} {
		if _, err := Hash("password123", p); !errors.Is(err, ErrParams) {
			t.Errorf("Hash with %+v: err = %v; want ErrParams", p, err)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]bool{
		"":                            false,
		"1234567":                     false,
		"12345678":                    true,
		"pässwörd":                    true,
		strings.Repeat("x", 1024):     true,
		strings.Repeat("x", 1025):     false,
		"valid-ish\xff\xfe-not-utf-8": false,
	}
	for pw, want := range cases {
		if err := Validate(pw); (err == nil) != want {
			t.Errorf("Validate(%.20q) = %v; want ok=%v", pw, err, want)
		}
	}
}

// TestDecoy: a decoy keeps the hash's parameters and lengths (so verifying against it
// costs the same) but nothing else: the right password does not match it.
func TestDecoy(t *testing.T) {
	older := Params{MemoryKiB: 128, Passes: 2, Lanes: 2}
	h, err := Hash("correct horse battery", older)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decoy(h)
	if err != nil {
		t.Fatal(err)
	}
	hp, hs, hk, _ := decode(h)
	dp, ds, dk, err := decode(d)
	if err != nil || dp != hp || len(ds) != len(hs) || len(dk) != len(hk) {
		t.Fatalf("decoy %q (%v) of %q: want the same parameters and lengths", d, err, h)
	}
	if string(ds) == string(hs) || string(dk) == string(hk) {
		t.Fatalf("decoy %q repeats the hash's salt or tag", d)
	}
	if ok, err := Verify("correct horse battery", d); ok || err != nil {
		t.Fatalf("Verify(right, decoy) = %v, %v; want false", ok, err)
	}
	if _, err := Decoy("$argon2id$v=19$m=64,t=1,p=1$bad"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Decoy(malformed) = %v; want ErrMalformed", err)
	}
}

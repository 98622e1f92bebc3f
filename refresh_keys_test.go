package jeton

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRefreshTokensNameTheirFamily(t *testing.T) {
	fam := NewTimeID(time.Now())
	tok := NewRefreshToken(fam)
	if len(tok) != 64 {
		t.Fatalf("token %q: %d characters, want 64", tok, len(tok))
	}
	key := RefreshTokenKey(tok)
	if !bytes.Equal(key, RefreshKey(fam, tok)) {
		t.Fatal("RefreshTokenKey and RefreshKey disagree")
	}
	got, digest, prefixed := SplitRefreshKey(key)
	if !prefixed || got != fam || !bytes.Equal(digest, Digest(tok)) {
		t.Fatalf("SplitRefreshKey = %q, %x, %v; want the family and the token's SHA-256", got, digest, prefixed)
	}
	if !RefreshKeyEqual(tok, key) || RefreshKeyEqual(NewRefreshToken(fam), key) {
		t.Fatal("RefreshKeyEqual")
	}
	if tok == NewRefreshToken(fam) {
		t.Fatal("two first tokens of one family are equal")
	}
	// A successor of the same family carries it too, and is a function of the MAC.
	mac := bytes.Repeat([]byte{7}, 32)
	succ := RefreshSuccessor(fam, mac)
	if succ != RefreshSuccessor(fam, mac) || !strings.HasPrefix(succ, tok[:20]) {
		t.Fatalf("successor %q does not start with the family of %q", succ, tok)
	}
}

// A family whose id is not 32 lowercase hex characters gets plain random tokens keyed
// by their digest, as every token was before issue 16; so does any string that is not
// a 64-character base64url token.
func TestRefreshTokensWithoutFamily(t *testing.T) {
	for _, fam := range []string{"fam-1", "", strings.Repeat("A", 32), strings.Repeat("0", 31), strings.Repeat("g", 32)} {
		tok := NewRefreshToken(fam)
		if len(tok) != 43 {
			t.Errorf("family %q: token of %d characters, want 43", fam, len(tok))
		}
		if !bytes.Equal(RefreshTokenKey(tok), Digest(tok)) || !bytes.Equal(RefreshKey(fam, tok), Digest(tok)) {
			t.Errorf("family %q: key is not the digest", fam)
		}
		if _, _, prefixed := SplitRefreshKey(RefreshTokenKey(tok)); prefixed {
			t.Errorf("family %q: digest key read as prefixed", fam)
		}
	}
	for _, tok := range []string{NewSecret(), strings.Repeat("=", 64), strings.Repeat("a", 63) + "+", strings.Repeat("a", 65)} {
		if !bytes.Equal(RefreshTokenKey(tok), Digest(tok)) {
			t.Errorf("%q: key is not the digest", tok)
		}
	}
}

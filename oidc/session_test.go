package oidc

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSessionCookieSecureUnlessLocalhost(t *testing.T) {
	for issuer, secure := range map[string]bool{
		"https://login.bank.example":    true,
		"http://localhost:8080":         false,
		"http://127.0.0.1:9000":         false,
		"http://localhost.evil.example": true,
		"http://bank.example":           true,
	} {
		s, err := newSealer(SessionKey(make([]byte, 32)), !insecureOrigin(issuer))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Unix(1_700_000_000, 0)
		w := httptest.NewRecorder()
		if err := s.write(w, &session{CustomerID: "c", Expires: now.Add(time.Hour).Unix(), Until: now.Add(time.Hour).Unix()}, now); err != nil {
			t.Fatal(err)
		}
		c := w.Header().Get("Set-Cookie")
		if got := strings.Contains(c, "; Secure"); got != secure {
			t.Errorf("%s: cookie %q, Secure = %v, want %v", issuer, c, got, secure)
		}
		if secure && !strings.HasPrefix(c, "__Host-jeton=") {
			t.Errorf("%s: secure cookie without the __Host- prefix: %q", issuer, c)
		}
		// The cookie reads back; with another key it does not.
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", strings.Split(c, ";")[0])
		if sess, ok := s.read(r, now); !ok || sess.CustomerID != "c" || !sess.signedIn("", now) && sess.InstitutionID != "" {
			t.Errorf("%s: cookie did not read back", issuer)
		}
		other, _ := newSealer(SessionKey([]byte("another key-encryption key......")), !insecureOrigin(issuer))
		if _, ok := other.read(r, now); ok {
			t.Errorf("%s: cookie opened under another key", issuer)
		}
		if _, ok := s.read(r, now.Add(2*time.Hour)); ok {
			t.Errorf("%s: expired session accepted", issuer)
		}
	}
}

// TestSessionCookieSurvivesAKEKChange: a cookie sealed under the old KEK's key opens
// on a server whose KEK changed and that keeps the old key as previous; new cookies
// are sealed with the new key only.
func TestSessionCookieSurvivesAKEKChange(t *testing.T) {
	oldKey, newKey := SessionKey(make([]byte, 32)), SessionKey([]byte("the next key-encryption key.....")) // 32 bytes each
	before, _ := newSealer(oldKey, true)
	after, err := newSealer(newKey, true, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	cookie := func(s *sealer) *http.Request {
		w := httptest.NewRecorder()
		if err := s.write(w, &session{CustomerID: "c", Expires: now.Add(time.Hour).Unix()}, now); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", strings.Split(w.Header().Get("Set-Cookie"), ";")[0])
		return r
	}
	if sess, ok := after.read(cookie(before), now); !ok || sess.CustomerID != "c" {
		t.Fatal("a cookie sealed under the previous KEK did not open after the change")
	}
	if _, ok := before.read(cookie(after), now); ok {
		t.Fatal("a new cookie opened under the old key alone: it was not sealed with the new key")
	}
	if _, err := newSealer(newKey, true, oldKey[:16]); err == nil {
		t.Fatal("a 16-byte previous cookie key was accepted")
	}
}

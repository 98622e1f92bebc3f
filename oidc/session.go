package oidc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// session is the login state; it lives only in the cookie (issue 4: "not a table"),
// sealed with AES-256-GCM so the browser can neither read nor change it.
type session struct {
	// The signed-in customer; empty before sign-in.
	CustomerID    string `json:"c,omitempty"`
	InstitutionID string `json:"i,omitempty"`
	AuthTime      int64  `json:"t,omitempty"` // unix seconds (OIDC Core §2 auth_time)
	// Until ends the sign-in (unix seconds, auth_time + SessionTTL).
	Until int64 `json:"u,omitempty"`
	// Expires ends the cookie (unix seconds): the later of Until and the pending
	// request's deadline.
	Expires int64 `json:"e"`
	// CSRF is the synchroniser token every form must echo.
	CSRF string `json:"x"`
	// Pending is the authorization request being served, once validated.
	Pending *authRequest `json:"p,omitempty"`
}

// signedIn reports whether the session holds a customer of institutionID at now.
func (s *session) signedIn(institutionID string, now time.Time) bool {
	return s.CustomerID != "" && s.InstitutionID == institutionID && now.Unix() < s.Until
}

// csrfOK compares a form's token with the session's in constant time.
func (s *session) csrfOK(got string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(got)) == 1
}

// sessionKeyInfo is the HKDF "info" binding the derived key to the cookie.
const sessionKeyInfo = "jeton oidc session cookie v1"

// SessionKey derives the 32-byte cookie key from the key-encryption key (HKDF-SHA256,
// RFC 5869), so no further secret needs managing and the KEK serves one purpose each.
func SessionKey(kek []byte) []byte {
	k, err := hkdf.Key(sha256.New, kek, nil, sessionKeyInfo, 32)
	if err != nil {
		panic("oidc: hkdf: " + err.Error())
	}
	return k
}

// sealer seals and opens the session cookie.
type sealer struct {
	aead   cipher.AEAD
	older  []cipher.AEAD // keys of previous KEKs: they open cookies, never seal one
	secure bool
	name   string
}

// newSealer seals with key; cookies sealed with a previous key (one derived from a
// previous KEK during a KEK rotation) still open, so a KEK change signs nobody out.
func newSealer(key []byte, secure bool, previous ...[]byte) (*sealer, error) {
	aead, err := cookieAEAD(key)
	if err != nil {
		return nil, err
	}
	// The __Host- prefix (RFC 6265bis §4.1.3.2) pins the cookie to this host, path /,
	// Secure; it cannot be used without Secure.
	name := "__Host-jeton"
	if !secure {
		name = "jeton"
	}
	s := &sealer{aead: aead, secure: secure, name: name}
	for _, k := range previous {
		a, err := cookieAEAD(k)
		if err != nil {
			return nil, err
		}
		s.older = append(s.older, a)
	}
	return s, nil
}

func cookieAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("oidc: cookie key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// read returns the request's session, or a fresh one when there is none, or when it
// does not open (tampered, another key) or has expired.
func (s *sealer) read(r *http.Request, now time.Time) (*session, bool) {
	c, err := r.Cookie(s.name)
	if err != nil {
		return &session{}, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(c.Value)
	ns := s.aead.NonceSize()
	if err != nil || len(raw) < ns {
		return &session{}, false
	}
	plain, err := s.aead.Open(nil, raw[:ns], raw[ns:], []byte(s.name))
	for _, a := range s.older {
		if err == nil {
			break
		}
		plain, err = a.Open(nil, raw[:ns], raw[ns:], []byte(s.name))
	}
	if err != nil {
		return &session{}, false
	}
	var sess session
	if json.Unmarshal(plain, &sess) != nil || now.Unix() >= sess.Expires {
		return &session{}, false
	}
	return &sess, true
}

// write sets the sealed session cookie: HttpOnly, Secure (but on http://localhost),
// SameSite=Lax, expiring with the session.
func (s *sealer) write(w http.ResponseWriter, sess *session, now time.Time) error {
	plain, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := s.aead.Seal(nonce, nonce, plain, []byte(s.name))
	http.SetCookie(w, &http.Cookie{
		Name: s.name, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/",
		MaxAge: max(int(sess.Expires-now.Unix()), 1), HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// newCSRF returns a fresh 256-bit synchroniser token.
func newCSRF() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

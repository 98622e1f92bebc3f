package clientauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// MaxAssertionSize bounds a client assertion (DESIGN rule 4). It is checked before
// any decoding, so an oversized one costs nothing but its length. 16 KiB holds any
// honest assertion many times over (an RS256 one with a certificate chain in x5c is
// under 8 KiB).
const MaxAssertionSize = 16 << 10

// maxClientIDLen bounds a client id taken from an assertion; jeton's ids are 32
// characters, and the bound keeps junk out of the client cache's negative entries.
const maxClientIDLen = 256

// header is the part of a JWS protected header (RFC 7515 §4.1) jeton looks at before
// verifying: which algorithm, which key, and whether the signer declared critical
// extensions.
type header struct {
	Alg  string
	Kid  string
	Crit bool
}

var errMalformed = errors.New("assertion is not a JWS in compact serialization")

// split checks the structure of a JWS compact serialization (RFC 7515 §7.1): at most
// MaxAssertionSize bytes, three base64url parts (header, payload, signature), header
// and payload non-empty. The JWS JSON serialization (RFC 7515 §7.2), the only way to
// carry more than one signature, is refused here: RFC 7523 §2.2 makes the assertion
// "a single JWT".
func split(assertion string) (hdr, payload []byte, err error) {
	if len(assertion) > MaxAssertionSize {
		return nil, nil, errors.New("assertion is over the size bound")
	}
	h, rest, ok1 := strings.Cut(assertion, ".")
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || h == "" || p == "" || strings.Contains(sig, ".") {
		return nil, nil, errMalformed
	}
	if hdr, err = base64.RawURLEncoding.Strict().DecodeString(h); err != nil {
		return nil, nil, errMalformed
	}
	if payload, err = base64.RawURLEncoding.Strict().DecodeString(p); err != nil {
		return nil, nil, errMalformed
	}
	if _, err = base64.RawURLEncoding.Strict().DecodeString(sig); err != nil {
		return nil, nil, errMalformed
	}
	return hdr, payload, nil
}

// peekHeader reads the unverified protected header. A "crit" member of any value
// counts: jeton understands no JWS extension, so RFC 7515 §4.1.11 makes such a JWS
// invalid.
func peekHeader(raw []byte) (header, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return header{}, errors.New("JWS header is not a JSON object")
	}
	var h header
	if err := json.Unmarshal(m["alg"], &h.Alg); err != nil || h.Alg == "" {
		return header{}, errors.New("JWS header has no alg")
	}
	if v, ok := m["kid"]; ok {
		if err := json.Unmarshal(v, &h.Kid); err != nil || h.Kid == "" {
			return header{}, errors.New("JWS header kid is not a non-empty string")
		}
	}
	_, h.Crit = m["crit"]
	return h, nil
}

// PeekClientID returns the client id an assertion claims, its unverified "sub" (RFC
// 7523 §3 item 2: for client authentication the subject is the client_id), after the
// structural checks of a JWS compact serialization and the size bound. Dialects use it
// to find the client when a request carries client_assertion without client_id (RFC
// 7521 §4.2 makes client_id optional there); nothing is trusted until the method has
// verified the signature and the claims.
func PeekClientID(assertion string) (string, error) {
	id, _, err := peek(assertion)
	return id, err
}

// PeekClientID is the package's PeekClientID of c.Assertion, keeping what it decoded
// (the structure and the header) for the method's Verify, which then does not decode
// the assertion a second time.
func (c *Credentials) PeekClientID() (string, error) {
	id, p, err := peek(c.Assertion)
	if err == nil {
		c.peeked = p
	}
	return id, err
}

// peeked is an assertion's protected header as a peek decoded it.
type peeked struct {
	assertion string
	hdr       header
}

// peek is PeekClientID, also returning the decoded header.
func peek(assertion string) (string, *peeked, error) {
	hdr, payload, err := split(assertion)
	if err != nil {
		return "", nil, err
	}
	h, err := peekHeader(hdr)
	if err != nil {
		return "", nil, err
	}
	var claims struct {
		Sub *string `json:"sub"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", nil, errors.New("JWT claims are not a JSON object")
	}
	if claims.Sub == nil || *claims.Sub == "" || len(*claims.Sub) > maxClientIDLen {
		return "", nil, errors.New("JWT has no sub of a client id's length")
	}
	return *claims.Sub, &peeked{assertion: assertion, hdr: h}, nil
}

// header returns cred's assertion's protected header after the structural checks:
// the peek's, when the dialect peeked at this very assertion, else decoded now.
func (cred *Credentials) header() (header, error) {
	if p := cred.peeked; p != nil && p.assertion == cred.Assertion {
		return p.hdr, nil
	}
	rawHdr, _, err := split(cred.Assertion)
	if err != nil {
		return header{}, err
	}
	return peekHeader(rawHdr)
}

// AsPresented returns c without what a peek remembered of its assertion: the
// credentials as the client sent them, for comparing two decodes of one request.
func (c Credentials) AsPresented() Credentials {
	c.peeked = nil
	return c
}

package oauth2

import "net/http"

// The vendor dialects read the same wire format underneath their own envelopes; these
// exports let them keep the standard dialect's bounds and checks instead of copying
// them.

// ReadForm reads an application/x-www-form-urlencoded body with the token endpoint's
// rules (RFC 6749 §3.2, Appendix B): the content type, the 64 KiB bound, no repeated
// parameter, valid UTF-8 without control characters, each value at most 8 KiB.
func ReadForm(r *http.Request) (map[string]string, error) { return readForm(r) }

// ParseBasic decodes HTTP Basic client credentials (RFC 6749 §2.3.1, RFC 7617).
func ParseBasic(h string) (id, secret string, err error) { return parseBasic(h) }

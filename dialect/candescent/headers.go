package candescent

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
	"github.com/jeton/jeton/internal/ttlcache"
)

// Candescent's header names, spelt as its API spells them. Go would canonicalise
// "transactionId" to "Transactionid" on the way out; answers set the map key directly
// so the echo has the vendor's spelling (header names are case-insensitive anyway,
// RFC 9110 §5.1).
const (
	headerTransactionID = "transactionId"
	headerInstitutionID = "institutionId"
	headerV1TID         = "di_tid"
	headerV1FIID        = "di_fiid"
	maxHeaderValue      = 8 << 10 // a Basic header holds a 43-character secret; far below this
)

// single returns the one value of header name; a header sent twice is refused.
func single(r *http.Request, name string) (string, error) {
	vs := r.Header.Values(name)
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1 || len(vs[0]) > maxHeaderValue || !printableOrSpace(vs[0]):
		return "", dialectError(reasonHeader, "header %s is invalid", name)
	}
	return vs[0], nil
}

// transactionID returns the request's transaction id: a UUID (RFC 9562 §4, any
// version), required on every request.
func transactionID(r *http.Request, name string) (string, error) {
	v, err := single(r, name)
	if err != nil || !isUUID(v) {
		return "", dialectError(reasonTransactionID, "header %s must be a UUID", name)
	}
	return v, nil
}

// maxEcho bounds an echoed transaction id.
const maxEcho = 128

// echoTransaction copies the transaction id onto the answer when it is fit to echo
// (printable and bounded), success or error.
func echoTransaction(w http.ResponseWriter, r *http.Request, name string) {
	vs := r.Header.Values(name)
	if len(vs) == 1 && len(vs[0]) <= maxEcho && printable(vs[0]) {
		w.Header()[name] = vs
	}
}

// isUUID reports whether s is the 8-4-4-4-12 hex form of RFC 9562 §4.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// printableOrSpace reports whether s is visible ASCII and spaces (a header value such
// as "Basic dXNlcg==").
func printableOrSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < 0x21 && s[i] != ' ') || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// SettingsSource is what the dialect reads of the Candescent store.
type SettingsSource interface {
	GetCandescentSettings(ctx context.Context, institutionID string) (candescentstore.Settings, error)
	InstitutionByAlias(ctx context.Context, alias string) (candescentstore.Settings, error)
}

// institutions resolves the institutionId header — an institution id or an alias set
// by an admin — to an institution id. Answers (misses too) are cached for the cache's
// TTL, since this runs on every client_credentials request; an alias change takes at
// most that long to be seen. The cache is bounded (ttlcache.DefaultMax), so random
// header values can't grow it.
type institutions struct {
	src   SettingsSource
	now   func() time.Time
	cache ttlcache.Cache[string, string]
}

// resolve returns the institution id the header value names. An alias wins over an
// institution id of the same spelling.
func (c *institutions) resolve(ctx context.Context, v string) (string, error) {
	return c.cache.Load(v, c.now(), func() (string, error) {
		s, err := c.src.InstitutionByAlias(ctx, v)
		switch {
		case err == nil:
			return s.InstitutionID, nil
		case errors.Is(err, jeton.ErrNotFound):
			return v, nil
		}
		return "", jeton.ServerError(err)
	})
}

// institution reads header name (institutionId or di_fiid) and resolves it; "" when
// absent and not required.
func (c *institutions) institution(r *http.Request, name string, required bool) (string, error) {
	v, err := single(r, name)
	if err != nil {
		return "", dialectError(reasonInstitutionID, "header %s is invalid", name)
	}
	if v == "" {
		if required {
			return "", dialectError(reasonInstitutionID, "header %s is required", name)
		}
		return "", nil
	}
	return c.resolve(r.Context(), v)
}

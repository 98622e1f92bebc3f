package adminapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jeton/jeton"
)

const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// AuditList is one page of GET /admin/v1/audit. NextCursor, absent on the last page,
// continues the walk: pass it as ?cursor= with the same filters.
type AuditList struct {
	Items      []jeton.AuditEvent `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// listAudit is GET /admin/v1/audit: keyset pages of the audit log, newest first,
// with no cap on how far a caller may walk.
func (s *server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		return err
	}
	if c := q.Get("cursor"); c != "" {
		if f.After, err = s.openCursor(c, f); err != nil {
			return err
		}
	}
	page, err := s.cfg.Store.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := AuditList{Items: nonNil(page.Events)}
	if !page.Next.IsZero() {
		out.NextCursor = s.sealCursor(page.Next, f)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// auditFilter reads the query's filters (not the cursor), naming the parameter at
// fault.
func auditFilter(q url.Values) (jeton.AuditFilter, error) {
	f := jeton.AuditFilter{InstitutionID: q.Get("institution_id"), Action: q.Get("action"),
		Actor: q.Get("actor"), ClientID: q.Get("client_id"), Limit: defaultAuditLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			return f, fieldError("limit", "must be an integer 1..%d", maxAuditLimit)
		}
		f.Limit = n
	}
	for _, b := range []struct {
		name string
		t    *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(b.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, fieldError(b.name, "must be an RFC 3339 time such as 2026-03-02T09:00:00Z")
			}
			*b.t = t.UTC()
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return f, fieldError("until", "must be after since")
	}
	return f, nil
}

// A cursor is base64url(version | at (µs) | seq | MAC), the MAC an HMAC-SHA-256 (RFC
// 2104), cut to 128 bits, over the position and the filters, under a key derived from
// the admin token. So a cursor works on every replica (they share the token), only
// with the filters it was issued for, and a forged, garbled or altered one is refused
// with a 400 rather than silently starting somewhere else.
const (
	cursorVersion = 1
	cursorMACLen  = 16
	cursorLen     = 1 + 8 + 8 + cursorMACLen
)

func (s *server) sealCursor(c jeton.AuditCursor, f jeton.AuditFilter) string {
	b := make([]byte, 0, cursorLen)
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.At.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Seq))
	b = append(b, s.cursorMAC(b, f)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *server) openCursor(text string, f jeton.AuditFilter) (jeton.AuditCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(b) != cursorLen || b[0] != cursorVersion ||
		!hmac.Equal(b[cursorLen-cursorMACLen:], s.cursorMAC(b[:cursorLen-cursorMACLen], f)) {
		return jeton.AuditCursor{}, fieldError("cursor",
			"is not a cursor this server issued for these filters: pass next_cursor unchanged, with the same filters")
	}
	return jeton.AuditCursor{
		At:  time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:9]))).UTC(),
		Seq: int64(binary.BigEndian.Uint64(b[9:17])),
	}, nil
}

// cursorMAC binds a cursor's position to the filters of its query (each length-
// prefixed, so no two filter sets encode alike). The page size is not bound: a walk
// may change it.
func (s *server) cursorMAC(position []byte, f jeton.AuditFilter) []byte {
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write(position)
	for _, v := range []string{f.InstitutionID, f.Action, f.Actor, f.ClientID, stamp(f.Since), stamp(f.Until)} {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(v))))
		m.Write([]byte(v))
	}
	return m.Sum(nil)[:cursorMACLen]
}

// cursorKey derives the cursors' MAC key from the admin token's digest, so the key
// serves one purpose only.
func cursorKey(tokenDigest [32]byte) []byte {
	m := hmac.New(sha256.New, tokenDigest[:])
	m.Write([]byte("jeton admin audit cursor"))
	return m.Sum(nil)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

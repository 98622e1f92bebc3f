package adminapi

import (
	"net/http"
	"strconv"

	"github.com/jeton/jeton"
)

const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

func (s *server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := jeton.AuditFilter{InstitutionID: q.Get("institution_id"), Action: q.Get("action"), Limit: defaultAuditLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			return fieldError("limit", "must be an integer 1..%d", maxAuditLimit)
		}
		f.Limit = n
	}
	events, err := s.cfg.Store.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[jeton.AuditEvent]{Items: nonNil(events)})
	return nil
}

package adminapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/jeton/jeton"
)

// RateLimitInput sets the token-request budget of one institution's clients or of
// one client (docs/rate-limits.md): Rate requests per second on average (0: no
// limit), Burst at once. A client's override wins over its institution's, which wins
// over serve's --ratelimit-client.
type RateLimitInput struct {
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
}

// RateLimitView is a stored override.
type RateLimitView struct {
	Scope     jeton.RateLimitScope `json:"scope"`
	ID        string               `json:"id"`
	Rate      float64              `json:"rate"`
	Burst     int                  `json:"burst"`
	UpdatedAt time.Time            `json:"updated_at"`
}

func rateLimitView(l jeton.RateLimit) RateLimitView {
	return RateLimitView{Scope: l.Scope, ID: l.ID, Rate: l.Rate, Burst: l.Burst, UpdatedAt: l.UpdatedAt}
}

// maxRate bounds rate and burst: beyond it a budget limits nothing a replica can serve.
const maxRate = 1e9

func validRateLimit(in RateLimitInput) error {
	switch {
	case math.IsNaN(in.Rate) || in.Rate < 0 || in.Rate > maxRate:
		return fieldError("rate", "must be between 0 (no limit) and %g requests per second", float64(maxRate))
	case in.Burst < 0 || in.Burst > maxRate:
		return fieldError("burst", "must be between 0 and %d", int(maxRate))
	case in.Rate > 0 && in.Burst < 1:
		return fieldError("burst", "must be at least 1 when rate is set")
	}
	return nil
}

func (s *server) rateLimitStore() (jeton.RateLimitStore, error) {
	rs, ok := s.cfg.Store.(jeton.RateLimitStore)
	if !ok {
		return nil, errors.New("the store keeps no rate limits")
	}
	return rs, nil
}

// rateLimitTarget reads {scope} and {id}, and the institution an audit entry of the
// target belongs to.
func (s *server) rateLimitTarget(r *http.Request) (jeton.RateLimitScope, string, string, error) {
	scope, id := jeton.RateLimitScope(r.PathValue("scope")), r.PathValue("id")
	if !slices.Contains(jeton.RateLimitScopes, scope) {
		return "", "", "", notFound("rate-limit scope (institution or client)")
	}
	if scope == jeton.RateLimitInstitution {
		if _, err := s.cfg.Store.GetInstitution(r.Context(), id); err != nil {
			return "", "", "", storeError(err, "institution")
		}
		return scope, id, id, nil
	}
	c, err := s.cfg.Store.GetClient(r.Context(), id)
	if err != nil {
		return "", "", "", storeError(err, "client")
	}
	return scope, id, c.InstitutionID, nil
}

// listRateLimits is GET /admin/v1/ratelimits.
func (s *server) listRateLimits(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.rateLimitStore()
	if err != nil {
		return err
	}
	list, err := rs.ListRateLimits(r.Context())
	if err != nil {
		return err
	}
	out := make([]RateLimitView, len(list))
	for i, l := range list {
		out[i] = rateLimitView(l)
	}
	writeJSON(w, http.StatusOK, List[RateLimitView]{Items: out})
	return nil
}

// putRateLimit is PUT /admin/v1/ratelimits/{scope}/{id}: create or replace.
func (s *server) putRateLimit(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.rateLimitStore()
	if err != nil {
		return err
	}
	var in RateLimitInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := validRateLimit(in); err != nil {
		return err
	}
	scope, id, inst, err := s.rateLimitTarget(r)
	if err != nil {
		return err
	}
	l := jeton.RateLimit{Scope: scope, ID: id, Rate: in.Rate, Burst: in.Burst, UpdatedAt: s.now()}
	ctx := r.Context()
	before, err := s.rateLimitState(ctx, rs, scope, id)
	if err != nil {
		return err
	}
	details := jeton.AuditChange(before, rateLimitView(l))
	details["rate"], details["burst"] = strconv.FormatFloat(in.Rate, 'g', -1, 64), strconv.Itoa(in.Burst)
	if err := rs.PutRateLimitAudited(ctx, l, s.event(ctx, inst, jeton.ActionRateLimitSet, string(scope)+":"+id, details)); err != nil {
		return storeError(err, string(scope))
	}
	s.invalidateRateLimit(scope, id)
	writeJSON(w, http.StatusOK, rateLimitView(l))
	return nil
}

// getRateLimit is GET /admin/v1/ratelimits/{scope}/{id}.
func (s *server) getRateLimit(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.rateLimitStore()
	if err != nil {
		return err
	}
	scope := jeton.RateLimitScope(r.PathValue("scope"))
	l, err := rs.GetRateLimit(r.Context(), scope, r.PathValue("id"))
	if err != nil {
		return storeError(err, "rate limit")
	}
	writeJSON(w, http.StatusOK, rateLimitView(l))
	return nil
}

// deleteRateLimit is DELETE /admin/v1/ratelimits/{scope}/{id}: the next budget up
// applies again. Deleting an override that does not exist is 404.
func (s *server) deleteRateLimit(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.rateLimitStore()
	if err != nil {
		return err
	}
	scope, id, inst, err := s.rateLimitTarget(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	before, err := s.rateLimitState(ctx, rs, scope, id)
	if err != nil {
		return err
	}
	ev := s.event(ctx, inst, jeton.ActionRateLimitDelete, string(scope)+":"+id, jeton.AuditChange(before, nil))
	if err := rs.DeleteRateLimitAudited(ctx, scope, id, ev); err != nil {
		return storeError(err, "rate limit")
	}
	s.invalidateRateLimit(scope, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rateLimitState is the override of (scope, id) as an audit event shows it, nil when
// there is none.
func (s *server) rateLimitState(ctx context.Context, rs jeton.RateLimitStore, scope jeton.RateLimitScope, id string) (any, error) {
	l, err := rs.GetRateLimit(ctx, scope, id)
	if errors.Is(err, jeton.ErrNotFound) {
		return nil, nil
	}
	return rateLimitView(l), err
}

func (s *server) invalidateRateLimit(scope jeton.RateLimitScope, id string) {
	if s.cfg.InvalidateRateLimit != nil {
		s.cfg.InvalidateRateLimit(scope, id)
	}
}

func rateLimitPath(scope jeton.RateLimitScope, id string) string {
	return "/admin/v1/ratelimits/" + url.PathEscape(string(scope)) + "/" + url.PathEscape(id)
}

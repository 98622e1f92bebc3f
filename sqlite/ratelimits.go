package sqlite

import (
	"context"

	"github.com/jeton/jeton"
)

// PutRateLimit creates or replaces an override, if its institution or client exists.
func (s *Store) PutRateLimit(ctx context.Context, l jeton.RateLimit) error {
	return s.do(ctx, "put rate limit", s.putRateLimit(l))
}

// PutRateLimitAudited is PutRateLimit and AppendAudit(ev), both or neither.
func (s *Store) PutRateLimitAudited(ctx context.Context, l jeton.RateLimit, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "put rate limit", ev, s.putRateLimit(l))
}

func (s *Store) putRateLimit(l jeton.RateLimit) write {
	return s.statement(true, `INSERT INTO rate_limits (scope, id, rate, burst, updated_at)
		SELECT ?1, ?2, ?3, ?4, ?5 WHERE
			(?1 = 'institution' AND EXISTS (SELECT 1 FROM institutions WHERE id = ?2)) OR
			(?1 = 'client' AND EXISTS (SELECT 1 FROM clients WHERE id = ?2))
		ON CONFLICT (scope, id) DO UPDATE SET rate = ?3, burst = ?4, updated_at = ?5`,
		string(l.Scope), l.ID, l.Rate, l.Burst, micros(l.UpdatedAt))
}

// GetRateLimit returns one override.
func (s *Store) GetRateLimit(ctx context.Context, scope jeton.RateLimitScope, id string) (jeton.RateLimit, error) {
	l, err := scanRateLimit(s.queryRow(ctx, `SELECT scope, id, rate, burst, updated_at
		FROM rate_limits WHERE scope = ? AND id = ?`, string(scope), id))
	return l, mapErr("get rate limit", err)
}

// ListRateLimits returns every override by scope and id.
func (s *Store) ListRateLimits(ctx context.Context) ([]jeton.RateLimit, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT scope, id, rate, burst, updated_at
		FROM rate_limits ORDER BY scope, id`)
	if err != nil {
		return nil, mapErr("list rate limits", err)
	}
	out, err := collect(rows, scanRateLimit)
	return out, mapErr("list rate limits", err)
}

// DeleteRateLimit removes one override.
func (s *Store) DeleteRateLimit(ctx context.Context, scope jeton.RateLimitScope, id string) error {
	return s.do(ctx, "delete rate limit", s.deleteRateLimit(scope, id))
}

// DeleteRateLimitAudited is DeleteRateLimit and AppendAudit(ev), both or neither.
func (s *Store) DeleteRateLimitAudited(ctx context.Context, scope jeton.RateLimitScope, id string, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "delete rate limit", ev, s.deleteRateLimit(scope, id))
}

func (s *Store) deleteRateLimit(scope jeton.RateLimitScope, id string) write {
	return s.statement(true, `DELETE FROM rate_limits WHERE scope = ? AND id = ?`, string(scope), id)
}

func scanRateLimit(r scanner) (jeton.RateLimit, error) {
	var l jeton.RateLimit
	var scope string
	err := r.Scan(&scope, &l.ID, &l.Rate, &l.Burst, timeCol{&l.UpdatedAt})
	l.Scope = jeton.RateLimitScope(scope)
	return l, err
}

var _ jeton.RateLimitStore = (*Store)(nil)

package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/jeton/jeton"
)

// PutRateLimit creates or replaces an override, if its institution or client exists.
func (s *Store) PutRateLimit(ctx context.Context, l jeton.RateLimit) error {
	return s.do(ctx, "put rate limit", putRateLimit(l))
}

// PutRateLimitAudited is PutRateLimit and AppendAudit(ev), both or neither.
func (s *Store) PutRateLimitAudited(ctx context.Context, l jeton.RateLimit, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "put rate limit", ev, putRateLimit(l))
}

func putRateLimit(l jeton.RateLimit) write {
	return statement(true, `INSERT INTO rate_limits (scope, id, rate, burst, updated_at)
		SELECT $1::text, $2::text, $3::double precision, $4::integer, $5::timestamptz WHERE
			($1::text = 'institution' AND EXISTS (SELECT 1 FROM institutions WHERE id = $2::text)) OR
			($1::text = 'client' AND EXISTS (SELECT 1 FROM clients WHERE id = $2::text))
		ON CONFLICT (scope, id) DO UPDATE SET rate = $3, burst = $4, updated_at = $5`,
		string(l.Scope), l.ID, l.Rate, l.Burst, ts(l.UpdatedAt))
}

// GetRateLimit returns one override.
func (s *Store) GetRateLimit(ctx context.Context, scope jeton.RateLimitScope, id string) (jeton.RateLimit, error) {
	l, err := scanRateLimit(s.pool.QueryRow(ctx, `SELECT scope, id, rate, burst, updated_at
		FROM rate_limits WHERE scope = $1 AND id = $2`, string(scope), id))
	return l, mapErr("get rate limit", err)
}

// ListRateLimits returns every override by scope and id.
func (s *Store) ListRateLimits(ctx context.Context) ([]jeton.RateLimit, error) {
	rows, err := s.pool.Query(ctx, `SELECT scope, id, rate, burst, updated_at
		FROM rate_limits ORDER BY scope, id`)
	if err != nil {
		return nil, mapErr("list rate limits", err)
	}
	out, err := pgx.CollectRows(rows, rowTo(scanRateLimit))
	if out == nil {
		out = []jeton.RateLimit{}
	}
	return out, mapErr("list rate limits", err)
}

// DeleteRateLimit removes one override.
func (s *Store) DeleteRateLimit(ctx context.Context, scope jeton.RateLimitScope, id string) error {
	return s.do(ctx, "delete rate limit", deleteRateLimit(scope, id))
}

// DeleteRateLimitAudited is DeleteRateLimit and AppendAudit(ev), both or neither.
func (s *Store) DeleteRateLimitAudited(ctx context.Context, scope jeton.RateLimitScope, id string, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "delete rate limit", ev, deleteRateLimit(scope, id))
}

func deleteRateLimit(scope jeton.RateLimitScope, id string) write {
	return statement(true, `DELETE FROM rate_limits WHERE scope = $1 AND id = $2`, string(scope), id)
}

func scanRateLimit(r pgx.Row) (jeton.RateLimit, error) {
	var l jeton.RateLimit
	var scope string
	err := r.Scan(&scope, &l.ID, &l.Rate, &l.Burst, tsCol{&l.UpdatedAt})
	l.Scope = jeton.RateLimitScope(scope)
	return l, err
}

var _ jeton.RateLimitStore = (*Store)(nil)

-- +goose Up
-- Issue 14. Rate-limit overrides of the token-request budget, per institution or per
-- client (docs/rate-limits.md): a table of their own, so clients and institutions are
-- unchanged. rate is requests per second (0: no limit), burst the bucket size.
CREATE TABLE rate_limits (
    scope      TEXT NOT NULL CHECK (scope IN ('institution', 'client')),
    id         TEXT NOT NULL,
    rate       REAL NOT NULL CHECK (rate >= 0),
    burst      INTEGER NOT NULL CHECK (burst >= 0),
    updated_at INTEGER,
    PRIMARY KEY (scope, id)
);

-- +goose Down
DROP TABLE rate_limits;

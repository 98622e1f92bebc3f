-- +goose Up
-- Opaque access tokens (RFC 7662): only the SHA-256 digest of the token is kept.
CREATE TABLE access_tokens (
    digest         BLOB PRIMARY KEY,
    jti            TEXT NOT NULL,
    client_id      TEXT NOT NULL REFERENCES clients (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    subject        TEXT NOT NULL,
    scope          TEXT NOT NULL,
    audience       TEXT NOT NULL,
    family_id      TEXT NOT NULL,
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

-- +goose Down
DROP TABLE access_tokens;

-- +goose Up
-- Opaque access tokens (RFC 7662): only the SHA-256 digest of the token is kept.
CREATE TABLE access_tokens (
    digest         bytea PRIMARY KEY,
    jti            text NOT NULL,
    client_id      text NOT NULL REFERENCES clients (id),
    institution_id text NOT NULL REFERENCES institutions (id),
    subject        text NOT NULL,
    scope          text[] NOT NULL,
    audience       text[] NOT NULL,
    family_id      text NOT NULL,
    issued_at      timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL
);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

-- +goose Down
DROP TABLE access_tokens;

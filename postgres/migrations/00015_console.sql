-- +goose Up
-- Issue 17. The web console's users, their one-time recovery codes (SHA-256 digests)
-- and their server-side sessions (docs/console.md).
CREATE TABLE console_users (
    id                   text PRIMARY KEY,
    username             text NOT NULL UNIQUE,
    role                 text NOT NULL CHECK (role IN ('operator', 'institution-admin')),
    institution_id       text REFERENCES institutions (id),
    password_hash        text NOT NULL,
    totp_sealed          bytea NOT NULL,
    totp_step            bigint NOT NULL DEFAULT 0,
    failed_attempts      integer NOT NULL DEFAULT 0,
    failure_window_start timestamptz,
    locked_until         timestamptz,
    created_at           timestamptz NOT NULL,
    CHECK ((role = 'operator') = (institution_id IS NULL))
);

CREATE TABLE console_recovery_codes (
    user_id text NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    digest  bytea NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_id, digest)
);

CREATE TABLE console_sessions (
    digest     bytea PRIMARY KEY,
    user_id    text NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen);

-- +goose Down
DROP TABLE console_sessions;
DROP TABLE console_recovery_codes;
DROP TABLE console_users;

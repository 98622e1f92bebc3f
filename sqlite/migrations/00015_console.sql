-- +goose Up
-- Issue 17. The web console's users, their one-time recovery codes (SHA-256 digests)
-- and their server-side sessions (docs/console.md). Times are Unix microseconds.
CREATE TABLE console_users (
    id                   TEXT PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL CHECK (role IN ('operator', 'institution-admin')),
    institution_id       TEXT REFERENCES institutions (id),
    password_hash        TEXT NOT NULL,
    totp_sealed          BLOB NOT NULL,
    totp_step            INTEGER NOT NULL DEFAULT 0,
    failed_attempts      INTEGER NOT NULL DEFAULT 0,
    failure_window_start INTEGER,
    locked_until         INTEGER,
    created_at           INTEGER NOT NULL,
    CHECK ((role = 'operator') = (institution_id IS NULL))
) STRICT;

CREATE TABLE console_recovery_codes (
    user_id TEXT NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    digest  BLOB NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, digest)
) STRICT;

CREATE TABLE console_sessions (
    digest     BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen);

-- +goose Down
DROP TABLE console_sessions;
DROP TABLE console_recovery_codes;
DROP TABLE console_users;

-- jeton's SQLite schema. Conventions (see sqlite/codec.go):
--   * times are INTEGER unix microseconds, UTC; NULL is the zero time.
--   * durations are INTEGER nanoseconds (time.Duration).
--   * slices and maps are JSON text.
-- Tables are STRICT so a value of the wrong type is an error, not a silent coercion.

-- +goose Up
CREATE TABLE institutions (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER,
    updated_at INTEGER
) STRICT;

CREATE TABLE clients (
    id                         TEXT PRIMARY KEY,
    institution_id             TEXT NOT NULL REFERENCES institutions (id),
    name                       TEXT NOT NULL,
    status                     TEXT NOT NULL,
    auth_method                TEXT NOT NULL,
    secret_digest              BLOB,
    previous_secret_digest     BLOB,
    previous_secret_expires_at INTEGER,
    public_keys                TEXT NOT NULL DEFAULT '[]',
    institutions               TEXT NOT NULL DEFAULT '[]',
    grants                     TEXT NOT NULL DEFAULT '[]',
    scopes                     TEXT NOT NULL DEFAULT '[]',
    default_scopes             TEXT NOT NULL DEFAULT '[]',
    redirect_uris              TEXT NOT NULL DEFAULT '[]',
    token_format               TEXT NOT NULL,
    access_token_ttl_ns        INTEGER NOT NULL,
    refresh_token_ttl_ns       INTEGER NOT NULL,
    signing_alg                TEXT NOT NULL,
    created_at                 INTEGER,
    updated_at                 INTEGER
) STRICT;
CREATE INDEX clients_by_institution ON clients (institution_id, created_at, id);

CREATE TABLE customers (
    id              TEXT PRIMARY KEY,
    institution_id  TEXT NOT NULL REFERENCES institutions (id),
    username        TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    claims          TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL,
    locked_until    INTEGER,
    created_at      INTEGER,
    updated_at      INTEGER,
    UNIQUE (institution_id, username)
) STRICT;

CREATE TABLE signing_keys (
    id             TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,
    public_der     BLOB NOT NULL,
    private_sealed BLOB NOT NULL,
    created_at     INTEGER,
    active_at      INTEGER,
    retired_at     INTEGER,
    unpublish_at   INTEGER
) STRICT;
-- At most one current (unretired) key per alg: the invariant AddSigningKey keeps.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE retired_at IS NULL;

CREATE TABLE refresh_families (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    subject        TEXT NOT NULL,
    scope          TEXT NOT NULL DEFAULT '[]',
    auth_time      INTEGER,
    created_at     INTEGER,
    expires_at     INTEGER,
    revoked_at     INTEGER
) STRICT;

CREATE TABLE refresh_tokens (
    digest           BLOB PRIMARY KEY,
    family_id        TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    created_at       INTEGER,
    expires_at       INTEGER,
    used_at          INTEGER,
    successor_digest BLOB
) STRICT;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- RFC 7523 §3 item 7: a client assertion's jti is single-use until it expires.
CREATE TABLE assertion_ids (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
) STRICT, WITHOUT ROWID;

CREATE TABLE revocations (
    kind           TEXT NOT NULL,
    id             TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    revoked_at     INTEGER,
    expires_at     INTEGER,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

-- seq is the rowid: it orders events appended within the same microsecond.
CREATE TABLE audit_events (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    at             INTEGER,
    institution_id TEXT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    subject        TEXT NOT NULL,
    details        TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX audit_by_time ON audit_events (at, seq);
CREATE INDEX audit_by_institution ON audit_events (institution_id, at, seq);
CREATE INDEX audit_by_action ON audit_events (action, at, seq);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE revocations;
DROP TABLE assertion_ids;
DROP TABLE refresh_tokens;
DROP TABLE refresh_families;
DROP TABLE signing_keys;
DROP TABLE customers;
DROP TABLE clients;
DROP TABLE institutions;

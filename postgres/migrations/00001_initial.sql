-- jeton's PostgreSQL schema. Conventions (see postgres/codec.go):
--   * times are timestamptz (microseconds); NULL is the zero time.
--   * durations are bigint nanoseconds (time.Duration), exact in both directions.
--   * string lists are text[]; structured values (client keys, claims, details) jsonb.

-- +goose Up
CREATE TABLE institutions (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz,
    updated_at timestamptz
);

CREATE TABLE clients (
    id                         text PRIMARY KEY,
    institution_id             text NOT NULL REFERENCES institutions (id),
    name                       text NOT NULL,
    status                     text NOT NULL,
    auth_method                text NOT NULL,
    secret_digest              bytea,
    previous_secret_digest     bytea,
    previous_secret_expires_at timestamptz,
    public_keys                jsonb NOT NULL DEFAULT '[]',
    institutions               text[] NOT NULL DEFAULT '{}',
    grants                     text[] NOT NULL DEFAULT '{}',
    scopes                     text[] NOT NULL DEFAULT '{}',
    default_scopes             text[] NOT NULL DEFAULT '{}',
    redirect_uris              text[] NOT NULL DEFAULT '{}',
    token_format               text NOT NULL,
    access_token_ttl_ns        bigint NOT NULL,
    refresh_token_ttl_ns       bigint NOT NULL,
    signing_alg                text NOT NULL,
    created_at                 timestamptz,
    updated_at                 timestamptz
);
CREATE INDEX clients_by_institution ON clients (institution_id, created_at, id);

CREATE TABLE customers (
    id              text PRIMARY KEY,
    institution_id  text NOT NULL REFERENCES institutions (id),
    username        text NOT NULL,
    password_hash   text NOT NULL,
    claims          jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL,
    failed_attempts integer NOT NULL,
    locked_until    timestamptz,
    created_at      timestamptz,
    updated_at      timestamptz,
    UNIQUE (institution_id, username)
);

CREATE TABLE signing_keys (
    id             text PRIMARY KEY,
    alg            text NOT NULL,
    public_der     bytea NOT NULL,
    private_sealed bytea NOT NULL,
    created_at     timestamptz,
    active_at      timestamptz,
    retired_at     timestamptz,
    unpublish_at   timestamptz
);
-- At most one current (unretired) key per alg: the invariant AddSigningKey keeps.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE retired_at IS NULL;

CREATE TABLE refresh_families (
    id             text PRIMARY KEY,
    client_id      text NOT NULL REFERENCES clients (id),
    institution_id text NOT NULL REFERENCES institutions (id),
    subject        text NOT NULL,
    scope          text[] NOT NULL DEFAULT '{}',
    auth_time      timestamptz,
    created_at     timestamptz,
    expires_at     timestamptz,
    revoked_at     timestamptz
);

CREATE TABLE refresh_tokens (
    digest           bytea PRIMARY KEY,
    family_id        text NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    created_at       timestamptz,
    expires_at       timestamptz,
    used_at          timestamptz,
    successor_digest bytea
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- RFC 7523 §3 item 7: a client assertion's jti is single-use until it expires.
CREATE TABLE assertion_ids (
    client_id  text NOT NULL,
    jti        text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);

CREATE TABLE revocations (
    kind           text NOT NULL,
    id             text NOT NULL,
    institution_id text NOT NULL,
    revoked_at     timestamptz,
    expires_at     timestamptz,
    PRIMARY KEY (kind, id)
);

-- seq orders events appended within the same microsecond.
CREATE TABLE audit_events (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             text NOT NULL UNIQUE,
    at             timestamptz,
    institution_id text NOT NULL,
    actor          text NOT NULL,
    action         text NOT NULL,
    subject        text NOT NULL,
    details        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_time ON audit_events (at DESC, seq DESC);
CREATE INDEX audit_by_institution ON audit_events (institution_id, at DESC, seq DESC);
CREATE INDEX audit_by_action ON audit_events (action, at DESC, seq DESC);

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

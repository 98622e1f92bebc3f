-- +goose Up
-- OpenID Connect: per-client consent and PAR settings.
ALTER TABLE clients ADD COLUMN first_party INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN require_par INTEGER NOT NULL DEFAULT 0;

-- RFC 6749 §4.1.2: single-use authorization codes, kept only as digests.
CREATE TABLE authorization_codes (
    digest         BLOB PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    subject        TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL DEFAULT '[]',
    nonce          TEXT NOT NULL DEFAULT '',
    code_challenge TEXT NOT NULL DEFAULT '',
    auth_time      INTEGER,
    grant_id       TEXT NOT NULL,
    created_at     INTEGER,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

-- RFC 9126: pushed authorization requests, single-use, under the request_uri digest.
CREATE TABLE pushed_requests (
    digest     BLOB PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients (id),
    params     TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX pushed_requests_expires_at ON pushed_requests (expires_at);

-- OIDC Core §3.1.2.4: what a customer allowed a client.
CREATE TABLE consents (
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    customer_id    TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES clients (id),
    scope          TEXT NOT NULL DEFAULT '[]',
    granted_at     INTEGER,
    PRIMARY KEY (institution_id, customer_id, client_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE institution_branding (
    institution_id TEXT PRIMARY KEY REFERENCES institutions (id),
    display_name   TEXT NOT NULL DEFAULT '',
    logo_url       TEXT NOT NULL DEFAULT '',
    accent_color   TEXT NOT NULL DEFAULT '',
    updated_at     INTEGER
) STRICT;

-- +goose Down
DROP TABLE institution_branding;
DROP TABLE consents;
DROP TABLE pushed_requests;
DROP TABLE authorization_codes;
ALTER TABLE clients DROP COLUMN require_par;
ALTER TABLE clients DROP COLUMN first_party;

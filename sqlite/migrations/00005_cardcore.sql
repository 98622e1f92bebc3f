-- CardCore applications and institution-scoped admin keys (docs/dialects/cardcore.md).
-- Own tables keyed by client / institution id, so the shared tables stay untouched.

-- +goose Up
CREATE TABLE cardcore_institutions (
    institution_id TEXT PRIMARY KEY REFERENCES institutions (id),
    record_id      TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE cardcore_apps (
    client_id      TEXT PRIMARY KEY REFERENCES clients (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    app_key        TEXT NOT NULL UNIQUE,
    record_id      TEXT NOT NULL UNIQUE,
    created_by     TEXT NOT NULL,
    description    TEXT NOT NULL,
    website_url    TEXT NOT NULL,
    icon_url       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    is_official    INTEGER NOT NULL,
    is_verified    INTEGER NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER,
    updated_at     INTEGER
) STRICT;
CREATE INDEX cardcore_apps_by_institution ON cardcore_apps (institution_id, app_key);

CREATE TABLE institution_keys (
    id             TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    user_id        TEXT NOT NULL,
    digest         BLOB NOT NULL UNIQUE,
    created_at     INTEGER,
    revoked_at     INTEGER
) STRICT;
CREATE INDEX institution_keys_by_institution ON institution_keys (institution_id, created_at, id);

-- +goose Down
DROP TABLE institution_keys;
DROP TABLE cardcore_apps;
DROP TABLE cardcore_institutions;

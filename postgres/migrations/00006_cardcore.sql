-- CardCore applications and institution-scoped admin keys (docs/dialects/cardcore.md).
-- Own tables keyed by client / institution id, so the shared tables stay untouched.

-- +goose Up
CREATE TABLE cardcore_institutions (
    institution_id text PRIMARY KEY REFERENCES institutions (id),
    record_id      text NOT NULL UNIQUE
);

CREATE TABLE cardcore_apps (
    client_id      text PRIMARY KEY REFERENCES clients (id),
    institution_id text NOT NULL REFERENCES institutions (id),
    app_key        text NOT NULL UNIQUE,
    record_id      text NOT NULL UNIQUE,
    created_by     text NOT NULL,
    description    text NOT NULL,
    website_url    text NOT NULL,
    icon_url       text NOT NULL,
    subject        text NOT NULL,
    is_official    boolean NOT NULL,
    is_verified    boolean NOT NULL,
    deleted        boolean NOT NULL DEFAULT false,
    created_at     timestamptz,
    updated_at     timestamptz
);
CREATE INDEX cardcore_apps_by_institution ON cardcore_apps (institution_id, app_key);

CREATE TABLE institution_keys (
    id             text PRIMARY KEY,
    institution_id text NOT NULL REFERENCES institutions (id),
    user_id        text NOT NULL,
    digest         bytea NOT NULL UNIQUE,
    created_at     timestamptz,
    revoked_at     timestamptz
);
CREATE INDEX institution_keys_by_institution ON institution_keys (institution_id, created_at, id);

-- +goose Down
DROP TABLE institution_keys;
DROP TABLE cardcore_apps;
DROP TABLE cardcore_institutions;

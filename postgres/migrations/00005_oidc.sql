-- +goose Up
-- OpenID Connect: per-client consent and PAR settings.
ALTER TABLE clients ADD COLUMN first_party boolean NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN require_par boolean NOT NULL DEFAULT false;

-- RFC 6749 §4.1.2: single-use authorization codes, kept only as digests.
CREATE TABLE authorization_codes (
    digest         bytea PRIMARY KEY,
    client_id      text NOT NULL REFERENCES clients (id),
    institution_id text NOT NULL REFERENCES institutions (id),
    subject        text NOT NULL,
    redirect_uri   text NOT NULL,
    scope          text[] NOT NULL DEFAULT '{}',
    nonce          text NOT NULL DEFAULT '',
    code_challenge text NOT NULL DEFAULT '',
    auth_time      timestamptz,
    grant_id       text NOT NULL,
    created_at     timestamptz,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

-- RFC 9126: pushed authorization requests, single-use, under the request_uri digest.
CREATE TABLE pushed_requests (
    digest     bytea PRIMARY KEY,
    client_id  text NOT NULL REFERENCES clients (id),
    params     jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz,
    expires_at timestamptz NOT NULL
);
CREATE INDEX pushed_requests_expires_at ON pushed_requests (expires_at);

-- OIDC Core §3.1.2.4: what a customer allowed a client.
CREATE TABLE consents (
    institution_id text NOT NULL REFERENCES institutions (id),
    customer_id    text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    client_id      text NOT NULL REFERENCES clients (id),
    scope          text[] NOT NULL DEFAULT '{}',
    granted_at     timestamptz,
    PRIMARY KEY (institution_id, customer_id, client_id)
);

CREATE TABLE institution_branding (
    institution_id text PRIMARY KEY REFERENCES institutions (id),
    display_name   text NOT NULL DEFAULT '',
    logo_url       text NOT NULL DEFAULT '',
    accent_color   text NOT NULL DEFAULT '',
    updated_at     timestamptz
);

-- +goose Down
DROP TABLE institution_branding;
DROP TABLE consents;
DROP TABLE pushed_requests;
DROP TABLE authorization_codes;
ALTER TABLE clients DROP COLUMN require_par;
ALTER TABLE clients DROP COLUMN first_party;

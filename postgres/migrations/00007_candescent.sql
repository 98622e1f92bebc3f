-- Candescent dialect (issue 6): per-institution settings and client links, in tables
-- of their own so that no shared table changes.

-- +goose Up
CREATE TABLE candescent_institutions (
    institution_id text PRIMARY KEY REFERENCES institutions (id),
    alias          text UNIQUE, -- NULL when none
    v1_enabled     boolean NOT NULL DEFAULT false,
    updated_at     timestamptz
);

-- A minter may mint authorization codes for client (Candescent server-side codes).
CREATE TABLE client_links (
    minter_id  text NOT NULL REFERENCES clients (id),
    client_id  text NOT NULL REFERENCES clients (id),
    created_at timestamptz,
    PRIMARY KEY (minter_id, client_id)
);

-- +goose Down
DROP TABLE client_links;
DROP TABLE candescent_institutions;

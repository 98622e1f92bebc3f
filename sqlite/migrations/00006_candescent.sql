-- Candescent dialect (issue 6): per-institution settings and client links, in tables
-- of their own so that no shared table changes.

-- +goose Up
CREATE TABLE candescent_institutions (
    institution_id TEXT PRIMARY KEY REFERENCES institutions (id),
    alias          TEXT UNIQUE, -- NULL when none
    v1_enabled     INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER
) STRICT;

-- A minter may mint authorization codes for client (Candescent server-side codes).
CREATE TABLE client_links (
    minter_id  TEXT NOT NULL REFERENCES clients (id),
    client_id  TEXT NOT NULL REFERENCES clients (id),
    created_at INTEGER,
    PRIMARY KEY (minter_id, client_id)
) STRICT;

-- +goose Down
DROP TABLE client_links;
DROP TABLE candescent_institutions;

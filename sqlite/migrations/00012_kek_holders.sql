-- +goose Up
-- Issue 15. The servers that hold each key-encryption key: every serve process reports
-- the ids of its KEKs (current first, comma-separated) at start and at every key reload,
-- and removes its row when it stops, so `jeton kek rotate` can refuse to re-seal under
-- a KEK that a running server cannot open (docs/operations.md, "Rotating the KEK").
CREATE TABLE kek_holders (
    holder  TEXT PRIMARY KEY,
    kek_ids TEXT NOT NULL,
    seen_at INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE kek_holders;

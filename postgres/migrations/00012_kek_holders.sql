-- +goose Up
-- Issue 15. The servers that hold each key-encryption key: every serve process reports
-- the ids of its KEKs (current first) at start and at every key reload, and removes its
-- row when it stops, so `jeton kek rotate` can refuse to re-seal under a KEK that a
-- running replica cannot open (docs/operations.md, "Rotating the KEK").
CREATE TABLE kek_holders (
    holder  text PRIMARY KEY,
    kek_ids text[] NOT NULL,
    seen_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE kek_holders;

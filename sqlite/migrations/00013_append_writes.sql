-- +goose Up
-- Issue 16 (faster writes): single-use records keyed so that new rows land where the
-- last ones did, instead of on a random page each (docs/benchmarks.md, "Where the time
-- goes"). A commit then writes a few pages for a whole batch of requests, and the
-- pages an insert touches are already in the cache.
--
-- A client assertion's replay record (RFC 7523 §3 item 7) is keyed by its expiry
-- first, then the SHA-256 of (client id, jti): expiries are the assertions' own exp
-- (plus the clock skew), which clients set a fixed time after they sign, so the
-- records of one second share one small, hot region of the B-tree. A replay carries
-- the same exp (it is signed), so it finds its record. The key also makes the
-- separate expires_at index unnecessary: the janitor deletes a prefix of the table.
CREATE TABLE assertion_uses_13 (
    expires_at INTEGER NOT NULL,
    key        BLOB NOT NULL,
    PRIMARY KEY (expires_at, key)
) STRICT, WITHOUT ROWID;
INSERT INTO assertion_uses_13 (expires_at, key) SELECT expires_at, key FROM assertion_uses;
DROP TABLE assertion_uses;
ALTER TABLE assertion_uses_13 RENAME TO assertion_uses;

-- +goose Down
CREATE TABLE assertion_uses_12 (
    key        BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO assertion_uses_12 (key, expires_at) SELECT key, max(expires_at) FROM assertion_uses GROUP BY key;
DROP TABLE assertion_uses;
ALTER TABLE assertion_uses_12 RENAME TO assertion_uses;
CREATE INDEX assertion_uses_expires_at ON assertion_uses (expires_at);

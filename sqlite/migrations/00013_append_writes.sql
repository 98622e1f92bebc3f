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

-- Refresh tokens are kept with their family: the primary key is (family_id, digest),
-- and a token made since this migration names its family, so a store finds it from
-- the token alone (jeton.RefreshTokenKey). A new family's first token then goes to
-- the end of the table (family ids are time-ordered) and a successor next to the
-- token it replaces; the key also serves ON DELETE CASCADE, so refresh_tokens_by_family
-- goes. Tokens made before are keyed by their digest alone (legacy = 1) and found
-- through a partial index that holds them only: no new token writes to it, and it
-- empties as they expire (at most the idle lifetime, 7 days by default).
-- The families' table keeps its rows in its primary key too (WITHOUT ROWID): one
-- B-tree fewer to write per new family and to read per refresh. Both tables are
-- rebuilt, the tokens' first: dropping the old families' table deletes its rows, and
-- with them, by cascade, the rows of any table whose foreign key names it.
CREATE TABLE refresh_families_13 (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    subject        TEXT NOT NULL,
    scope          TEXT NOT NULL DEFAULT '[]',
    auth_time      INTEGER,
    created_at     INTEGER,
    expires_at     INTEGER,
    revoked_at     INTEGER
) STRICT, WITHOUT ROWID;
INSERT INTO refresh_families_13 (id, client_id, institution_id, subject, scope, auth_time, created_at, expires_at, revoked_at)
    SELECT id, client_id, institution_id, subject, scope, auth_time, created_at, expires_at, revoked_at FROM refresh_families;
CREATE TABLE refresh_tokens_13 (
    family_id        TEXT NOT NULL REFERENCES refresh_families_13 (id) ON DELETE CASCADE,
    digest           BLOB NOT NULL,
    created_at       INTEGER,
    expires_at       INTEGER,
    used_at          INTEGER,
    successor_digest BLOB,
    legacy           INTEGER,
    PRIMARY KEY (family_id, digest)
) STRICT, WITHOUT ROWID;
INSERT INTO refresh_tokens_13 (family_id, digest, created_at, expires_at, used_at, successor_digest, legacy)
    SELECT family_id, digest, created_at, expires_at, used_at, successor_digest, 1 FROM refresh_tokens;
DROP TABLE refresh_tokens;
DROP TABLE refresh_families;
-- Renaming a table renames it in the foreign keys that name it (SQLite 3.26+).
ALTER TABLE refresh_families_13 RENAME TO refresh_families;
ALTER TABLE refresh_tokens_13 RENAME TO refresh_tokens;
CREATE INDEX refresh_families_expires_at ON refresh_families (expires_at);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
CREATE UNIQUE INDEX refresh_tokens_legacy ON refresh_tokens (digest) WHERE legacy = 1;

-- +goose Down
CREATE TABLE assertion_uses_12 (
    key        BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO assertion_uses_12 (key, expires_at) SELECT key, max(expires_at) FROM assertion_uses GROUP BY key;
DROP TABLE assertion_uses;
ALTER TABLE assertion_uses_12 RENAME TO assertion_uses;
CREATE INDEX assertion_uses_expires_at ON assertion_uses (expires_at);
-- Every token goes back under its digest, which for a family-prefixed key is its last
-- 32 bytes (the SHA-256 of the token, as before); successors' keys likewise.
CREATE TABLE refresh_families_12 (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    subject        TEXT NOT NULL,
    scope          TEXT NOT NULL DEFAULT '[]',
    auth_time      INTEGER,
    created_at     INTEGER,
    expires_at     INTEGER,
    revoked_at     INTEGER
) STRICT;
INSERT INTO refresh_families_12 (id, client_id, institution_id, subject, scope, auth_time, created_at, expires_at, revoked_at)
    SELECT id, client_id, institution_id, subject, scope, auth_time, created_at, expires_at, revoked_at FROM refresh_families;
CREATE TABLE refresh_tokens_12 (
    digest           BLOB PRIMARY KEY,
    family_id        TEXT NOT NULL REFERENCES refresh_families_12 (id) ON DELETE CASCADE,
    created_at       INTEGER,
    expires_at       INTEGER,
    used_at          INTEGER,
    successor_digest BLOB
) STRICT;
INSERT INTO refresh_tokens_12 (digest, family_id, created_at, expires_at, used_at, successor_digest)
    SELECT digest, family_id, created_at, expires_at, used_at,
        CASE WHEN length(successor_digest) = 48 THEN substr(successor_digest, 17) ELSE successor_digest END
    FROM refresh_tokens;
DROP TABLE refresh_tokens;
DROP TABLE refresh_families;
ALTER TABLE refresh_families_12 RENAME TO refresh_families;
ALTER TABLE refresh_tokens_12 RENAME TO refresh_tokens;
CREATE INDEX refresh_families_expires_at ON refresh_families (expires_at);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

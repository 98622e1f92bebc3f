-- +goose Up
-- Issue 16 (faster writes): single-use records keyed so that new rows land where the
-- last ones did (docs/benchmarks.md, "Where the time goes").
--
-- A client assertion's replay record (RFC 7523 §3 item 7) is keyed by its expiry
-- first: expiries are the assertions' own exp (plus the clock skew), set a fixed time
-- after signing, so new keys go to the right-hand edge of the index instead of a
-- random leaf. A replay carries the same exp (it is signed), so it finds its record;
-- the key also serves the janitor, so the separate expires_at index goes.
ALTER TABLE assertion_ids DROP CONSTRAINT assertion_ids_pkey;
ALTER TABLE assertion_ids ADD PRIMARY KEY (expires_at, client_id, jti);
DROP INDEX assertion_ids_expires_at;

-- Refresh tokens are kept with their family: the primary key is (family_id, digest),
-- and a token made since this migration names its family, so the store finds it from
-- the token alone (jeton.RefreshTokenKey). A new family's first token goes to the
-- right-hand edge of the index (family ids are time-ordered) and a successor next to
-- the token it replaces; the key also serves ON DELETE CASCADE, so
-- refresh_tokens_by_family goes. Tokens made before are keyed by their digest alone
-- (legacy) and found through a partial index that holds them only: no new token
-- writes to it, and it empties as they expire (at most the idle lifetime).
ALTER TABLE refresh_tokens ADD COLUMN legacy boolean;
UPDATE refresh_tokens SET legacy = true;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_pkey;
ALTER TABLE refresh_tokens ADD PRIMARY KEY (family_id, digest);
CREATE UNIQUE INDEX refresh_tokens_legacy ON refresh_tokens (digest) WHERE legacy;
DROP INDEX refresh_tokens_by_family;

-- +goose Down
-- Every token goes back under its digest, which for a family-prefixed key is its last
-- 32 bytes (the SHA-256 of the token, as before); successors' keys likewise.
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
DROP INDEX refresh_tokens_legacy;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_pkey;
UPDATE refresh_tokens SET successor_digest = substring(successor_digest from 17) WHERE length(successor_digest) = 48;
ALTER TABLE refresh_tokens ADD PRIMARY KEY (digest);
ALTER TABLE refresh_tokens DROP COLUMN legacy;
CREATE INDEX assertion_ids_expires_at ON assertion_ids (expires_at);
ALTER TABLE assertion_ids DROP CONSTRAINT assertion_ids_pkey;
DELETE FROM assertion_ids a USING assertion_ids b
    WHERE a.client_id = b.client_id AND a.jti = b.jti AND a.expires_at < b.expires_at;
ALTER TABLE assertion_ids ADD PRIMARY KEY (client_id, jti);

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

-- +goose Down
CREATE INDEX assertion_ids_expires_at ON assertion_ids (expires_at);
ALTER TABLE assertion_ids DROP CONSTRAINT assertion_ids_pkey;
DELETE FROM assertion_ids a USING assertion_ids b
    WHERE a.client_id = b.client_id AND a.jti = b.jti AND a.expires_at < b.expires_at;
ALTER TABLE assertion_ids ADD PRIMARY KEY (client_id, jti);

-- +goose Up
-- client_secret_jwt keeps its secret sealed under the KEK (HS256 needs the key).
ALTER TABLE clients ADD COLUMN secret_sealed BLOB;
ALTER TABLE clients ADD COLUMN previous_secret_sealed BLOB;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN refresh_rotation_off INTEGER NOT NULL DEFAULT 0;
-- Lockout counts failures within a window that starts at the first failure.
ALTER TABLE customers ADD COLUMN failure_window_start INTEGER;
-- The janitor deletes by expiry.
CREATE INDEX assertion_ids_expires_at ON assertion_ids (expires_at);
CREATE INDEX revocations_expires_at ON revocations (expires_at);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
CREATE INDEX refresh_families_expires_at ON refresh_families (expires_at);

-- +goose Down
DROP INDEX refresh_families_expires_at;
DROP INDEX refresh_tokens_expires_at;
DROP INDEX revocations_expires_at;
DROP INDEX assertion_ids_expires_at;
ALTER TABLE customers DROP COLUMN failure_window_start;
ALTER TABLE clients DROP COLUMN refresh_rotation_off;
ALTER TABLE clients DROP COLUMN jwks_uri;
ALTER TABLE clients DROP COLUMN previous_secret_sealed;
ALTER TABLE clients DROP COLUMN secret_sealed;

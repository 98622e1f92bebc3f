-- +goose Up
-- Issue 18: signed request objects (RFC 9101) and rich authorization requests
-- (RFC 9396). authorization_details columns hold the granted JSON array as the client
-- sent it (compacted); '' when none was requested.
ALTER TABLE clients ADD COLUMN require_signed_request_object INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN authorization_details_types TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pushed_requests ADD COLUMN signed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE authorization_codes ADD COLUMN authorization_details TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN authorization_details TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_families ADD COLUMN authorization_details TEXT NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN authorization_details TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE access_tokens DROP COLUMN authorization_details;
ALTER TABLE refresh_families DROP COLUMN authorization_details;
ALTER TABLE consents DROP COLUMN authorization_details;
ALTER TABLE authorization_codes DROP COLUMN authorization_details;
ALTER TABLE pushed_requests DROP COLUMN signed;
ALTER TABLE clients DROP COLUMN authorization_details_types;
ALTER TABLE clients DROP COLUMN require_signed_request_object;

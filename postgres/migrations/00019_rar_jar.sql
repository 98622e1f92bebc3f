-- +goose Up
-- Issue 18: signed request objects (RFC 9101) and rich authorization requests
-- (RFC 9396). authorization_details columns hold the granted JSON array as the client
-- sent it (compacted; text, not jsonb, so it reads back byte for byte); '' when none.
ALTER TABLE clients ADD COLUMN require_signed_request_object boolean NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN authorization_details_types text[] NOT NULL DEFAULT '{}';
ALTER TABLE pushed_requests ADD COLUMN signed boolean NOT NULL DEFAULT false;
ALTER TABLE authorization_codes ADD COLUMN authorization_details text NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN authorization_details text NOT NULL DEFAULT '';
ALTER TABLE refresh_families ADD COLUMN authorization_details text NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN authorization_details text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE access_tokens DROP COLUMN authorization_details;
ALTER TABLE refresh_families DROP COLUMN authorization_details;
ALTER TABLE consents DROP COLUMN authorization_details;
ALTER TABLE authorization_codes DROP COLUMN authorization_details;
ALTER TABLE pushed_requests DROP COLUMN signed;
ALTER TABLE clients DROP COLUMN authorization_details_types;
ALTER TABLE clients DROP COLUMN require_signed_request_object;

-- +goose Up
-- Issue 18 part 5: the FAPI 2.0 client profile (docs/fapi2.md). A client's own profile
-- ('' or 'fapi2'); '' means its institution's default_profile.
ALTER TABLE clients ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE institutions ADD COLUMN default_profile TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE institutions DROP COLUMN default_profile;
ALTER TABLE clients DROP COLUMN profile;

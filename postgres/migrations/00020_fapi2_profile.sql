-- +goose Up
-- Issue 18 part 5: the FAPI 2.0 client profile (docs/fapi2.md). A client's own profile
-- ('' or 'fapi2'); '' means its institution's default_profile.
ALTER TABLE clients ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE institutions ADD COLUMN default_profile TEXT NOT NULL DEFAULT '';
-- A client is read with its institution's default_profile, so a change of the default
-- is a change of each of the institution's clients: NOTIFY them as a client update
-- would (00003_client_notify), so every replica's client cache drops them at once.
-- +goose StatementBegin
CREATE FUNCTION jeton_notify_profile_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jeton_client_changed', c.id) FROM clients c WHERE c.institution_id = NEW.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER institutions_notify_profile_changed AFTER UPDATE OF default_profile ON institutions
    FOR EACH ROW WHEN (OLD.default_profile IS DISTINCT FROM NEW.default_profile)
    EXECUTE FUNCTION jeton_notify_profile_changed();

-- +goose Down
DROP TRIGGER institutions_notify_profile_changed ON institutions;
DROP FUNCTION jeton_notify_profile_changed();
ALTER TABLE institutions DROP COLUMN default_profile;
ALTER TABLE clients DROP COLUMN profile;

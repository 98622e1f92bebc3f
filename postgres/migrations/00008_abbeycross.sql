-- +goose Up
-- Issue 7. Working-hours calendars, one per institution: an IANA zone, weekly windows
-- and closed dates in their text forms ("Mon 07:00-19:00", "2026-12-25").
CREATE TABLE institution_calendars (
    institution_id text PRIMARY KEY REFERENCES institutions (id),
    time_zone      text NOT NULL,
    windows        text[] NOT NULL,
    closed         text[] NOT NULL DEFAULT '{}',
    updated_at     timestamptz
);
-- Every change NOTIFYs the institution id, so each replica's calendar cache drops it
-- at once (like clients, migration 00003).
-- +goose StatementBegin
CREATE FUNCTION jeton_notify_calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('jeton_calendar_changed', OLD.institution_id);
    ELSE
        PERFORM pg_notify('jeton_calendar_changed', NEW.institution_id);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER institution_calendars_notify_changed AFTER INSERT OR UPDATE OR DELETE
    ON institution_calendars FOR EACH ROW EXECUTE FUNCTION jeton_notify_calendar_changed();
-- The active-token cap: 0 is off. Only capped clients write a slot per token.
ALTER TABLE clients ADD COLUMN max_active_tokens integer NOT NULL DEFAULT 0;
CREATE TABLE token_slots (
    client_id  text NOT NULL REFERENCES clients (id),
    jti        text NOT NULL,
    family_id  text NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX token_slots_live ON token_slots (client_id, expires_at);
CREATE INDEX token_slots_expires_at ON token_slots (expires_at);

-- +goose Down
DROP TABLE token_slots;
ALTER TABLE clients DROP COLUMN max_active_tokens;
DROP TRIGGER institution_calendars_notify_changed ON institution_calendars;
DROP FUNCTION jeton_notify_calendar_changed();
DROP TABLE institution_calendars;

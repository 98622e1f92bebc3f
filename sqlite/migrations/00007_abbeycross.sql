-- +goose Up
-- Issue 7. Working-hours calendars, one per institution: an IANA zone, weekly windows
-- and closed dates, both JSON arrays of their text forms ("Mon 07:00-19:00",
-- "2026-12-25").
CREATE TABLE institution_calendars (
    institution_id TEXT PRIMARY KEY REFERENCES institutions (id),
    time_zone      TEXT NOT NULL,
    windows        TEXT NOT NULL,
    closed         TEXT NOT NULL DEFAULT '[]',
    updated_at     INTEGER
) STRICT;
-- The active-token cap: 0 is off. Only capped clients write a slot per token.
ALTER TABLE clients ADD COLUMN max_active_tokens INTEGER NOT NULL DEFAULT 0;
CREATE TABLE token_slots (
    client_id  TEXT NOT NULL REFERENCES clients (id),
    jti        TEXT NOT NULL,
    family_id  TEXT NOT NULL DEFAULT '',
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
) STRICT;
CREATE INDEX token_slots_live ON token_slots (client_id, expires_at);
CREATE INDEX token_slots_expires_at ON token_slots (expires_at);

-- +goose Down
DROP TABLE token_slots;
ALTER TABLE clients DROP COLUMN max_active_tokens;
DROP TABLE institution_calendars;

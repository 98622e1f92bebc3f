-- +goose Up
-- Issue 17 (console users): an operator disables a console user, who can then neither
-- sign in nor use a session; the console users page shows each user's last sign-in.
-- NULL is "never" / "not disabled".
ALTER TABLE console_users ADD COLUMN disabled_at timestamptz;
ALTER TABLE console_users ADD COLUMN last_sign_in_at timestamptz;
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- +goose Down
DROP INDEX console_sessions_user;
ALTER TABLE console_users DROP COLUMN last_sign_in_at;
ALTER TABLE console_users DROP COLUMN disabled_at;

-- +goose Up
-- Sign-in attempts reserved before their password is verified and not settled yet:
-- the lockout budget counts them with the verified failures.
ALTER TABLE customers ADD COLUMN attempts_in_flight INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE customers DROP COLUMN attempts_in_flight;

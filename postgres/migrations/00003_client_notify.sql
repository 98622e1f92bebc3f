-- +goose Up
-- Every insert or update of a client NOTIFYs its id, so that each replica's client
-- cache drops it at once (DESIGN "Scale-out"). NOTIFY is delivered at commit, so a
-- replica never re-reads the old row after hearing of the change.
-- +goose StatementBegin
CREATE FUNCTION jeton_notify_client_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jeton_client_changed', NEW.id);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER clients_notify_changed AFTER INSERT OR UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION jeton_notify_client_changed();

-- +goose Down
DROP TRIGGER clients_notify_changed ON clients;
DROP FUNCTION jeton_notify_client_changed();

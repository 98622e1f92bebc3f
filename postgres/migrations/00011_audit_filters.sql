-- +goose Up
-- Issue 15. The audit log's filters beyond institution and action (actor, client) each
-- get an index ending in (at DESC, seq DESC), the keyset order of ListAudit's pages, so
-- a page is one index range whatever the filter. A client is an event's subject or its
-- details' client_id; the latter index is partial, as most events name no client, and
-- its expression is the one ListAudit writes.
CREATE INDEX audit_by_actor ON audit_events (actor, at DESC, seq DESC);
CREATE INDEX audit_by_subject ON audit_events (subject, at DESC, seq DESC);
CREATE INDEX audit_by_client_detail ON audit_events ((details->>'client_id'), at DESC, seq DESC)
    WHERE details->>'client_id' IS NOT NULL;

-- +goose Down
DROP INDEX audit_by_client_detail;
DROP INDEX audit_by_subject;
DROP INDEX audit_by_actor;

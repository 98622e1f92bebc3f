package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// NOTIFY channels: client changes (migration 00003's trigger), working-hours
// calendar changes (migration 00008's) and signing-key changes (sent by the key
// writes in keys.go, in their transaction).
const (
	clientChannel   = "jeton_client_changed"
	calendarChannel = "jeton_calendar_changed"
	keyChannel      = "jeton_key_changed"
)

// ListenSuffix ends the application_name of a listening connection (pg_stat_activity
// shows "jeton-listen" beside the pool's "jeton", or "<yours>-listen" when the DSN
// names the application), so an operator can tell a replica's dedicated connections
// from its pool.
const ListenSuffix = "-listen"

// ListenClientChanges holds one dedicated connection (outside the pool) that LISTENs
// for client changes made by any replica, and calls changed with each client id.
// Right after LISTEN succeeds it calls changed("") — "anything may have changed" —
// because notifications sent while this replica was not listening are lost, so the
// caller must drop its whole cache then.
//
// It returns nil when ctx ends, or the error that broke the connection; the caller
// reconnects.
func (s *Store) ListenClientChanges(ctx context.Context, changed func(clientID string)) error {
	return s.listen(ctx, clientChannel, changed)
}

// ListenCalendarChanges is ListenClientChanges for working-hours calendars: it calls
// changed with each institution id whose calendar any replica set or cleared, and with
// "" right after LISTEN succeeds.
func (s *Store) ListenCalendarChanges(ctx context.Context, changed func(institutionID string)) error {
	return s.listen(ctx, calendarChannel, changed)
}

// ListenKeyChanges is ListenClientChanges for signing keys: it calls changed with the
// kid of each key any replica added (a first key or a rotation's successor), and with
// "" right after LISTEN succeeds; the caller reloads its keys, so a rotated key is in
// every replica's JWKS at once rather than at the next --key-reload-interval.
func (s *Store) ListenKeyChanges(ctx context.Context, changed func(kid string)) error {
	return s.listen(ctx, keyChannel, changed)
}

// listen LISTENs on channel over a dedicated connection and calls changed with each
// payload ("" once listening, for the notifications missed before).
func (s *Store) listen(ctx context.Context, channel string, changed func(string)) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] += ListenSuffix
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	changed("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("postgres: listen: %w", err)
		}
		if n.Channel != channel {
			return errors.New("postgres: listen: notification on an unexpected channel")
		}
		changed(n.Payload)
	}
}

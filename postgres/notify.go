package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// clientChannel is the NOTIFY channel of migration 00003's trigger.
const clientChannel = "jeton_client_changed"

// ListenClientChanges holds one dedicated connection (outside the pool) that LISTENs
// for client changes made by any replica, and calls changed with each client id.
// Right after LISTEN succeeds it calls changed("") — "anything may have changed" —
// because notifications sent while this replica was not listening are lost, so the
// caller must drop its whole cache then.
//
// It returns nil when ctx ends, or the error that broke the connection; the caller
// reconnects.
func (s *Store) ListenClientChanges(ctx context.Context, changed func(clientID string)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+clientChannel); err != nil {
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
		if n.Channel != clientChannel {
			return errors.New("postgres: listen: notification on an unexpected channel")
		}
		changed(n.Payload)
	}
}

package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"time"

	"github.com/jeton/jeton"
)

// UseAssertionID is ATOMIC (DESIGN rule 1): one INSERT ... ON CONFLICT DO UPDATE whose
// WHERE lets it overwrite only an expired record. If the statement changed no row,
// the assertion is recorded and still live, so it is a replay (RFC 7523 §3 item 7)
// and the result is ErrAlreadyUsed. Records are keyed by (expiry, assertionKey), so
// new ones are inserted next to each other (migration 13).
func (s *Store) UseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error {
	return s.StartUseAssertionID(ctx, clientID, jti, expiresAt, now)()
}

// StartUseAssertionID is UseAssertionID in two halves: it queues the record for the
// committer and returns at once, and wait returns what UseAssertionID would have. The
// token endpoint signs while the record commits (clientauth.Pending).
func (s *Store) StartUseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) (wait func() error) {
	var res sql.Result
	done := s.startSingle(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		res, err = s.execTx(ctx, tx, `INSERT INTO assertion_uses (expires_at, key) VALUES (?, ?)
			ON CONFLICT (expires_at, key) DO UPDATE SET expires_at = excluded.expires_at
			WHERE assertion_uses.expires_at <= ?`,
			expiresAt.UnixMicro(), assertionKey(clientID, jti), now.UnixMicro())
		return err
	})
	return func() error {
		if err := done(); err != nil {
			return mapErr("use assertion id", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return mapErr("use assertion id", err)
		}
		if n == 0 {
			return mapErr("use assertion id", jeton.ErrAlreadyUsed)
		}
		return nil
	}
}

// assertionKey is the replay record's key: the SHA-256 of the client id (length
// first, so no two pairs share an encoding) and the jti. A fixed 32-byte key instead
// of the two strings keeps the table a third of the size, and a key comparison no
// longer walks the client id that every record of a client shares. It follows the
// expiry in the table's key, so within one second's records it is what orders them.
func assertionKey(clientID, jti string) []byte {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(clientID)))])
	h.Write([]byte(clientID))
	h.Write([]byte(jti))
	return h.Sum(nil)
}

package jeton

import (
	"context"
	"time"
)

// KEKHolder is one running server and the key-encryption keys it holds, as it last
// reported them: the ids (keys.KEKID) of its current KEK first, then its previous ones.
type KEKHolder struct {
	ID     string    `json:"id"` // host/pid/random, new at every start
	KEKIDs []string  `json:"kek_ids"`
	SeenAt time.Time `json:"seen_at"`
}

// KEKHolderStore records which server holds which KEKs, so that a KEK rotation can
// check that every running server can open what it is about to write.
type KEKHolderStore interface {
	// ReportKEKHolder inserts h or replaces the row of h.ID, and deletes every row
	// last seen before forgetBefore (servers that died without removing theirs).
	ReportKEKHolder(ctx context.Context, h KEKHolder, forgetBefore time.Time) error
	// ListKEKHolders returns the holders seen at or after since, most recently seen
	// first.
	ListKEKHolders(ctx context.Context, since time.Time) ([]KEKHolder, error)
	// RemoveKEKHolder deletes the row of id (a server that stops); no row is no error.
	RemoveKEKHolder(ctx context.Context, id string) error
}

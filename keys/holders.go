package keys

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jeton/jeton"
)

// Every serve process reports the KEKs it holds (jeton.KEKHolderStore), so that a KEK
// rotation can check, before it writes anything, that every running server can open
// what it is about to write.
const (
	// HolderReport is how often a server reports; HolderWindow is how recently a
	// holder must have reported to count as running (a few missed reports pass).
	HolderReport = 30 * time.Second
	HolderWindow = 4 * HolderReport
	// holderForget is when a row of a server that died without removing it is
	// deleted by the next report of any server.
	holderForget = time.Hour
)

// NewHolderID names this process among the KEK holders: host, pid and a random part
// (a restarted server is a new holder).
func NewHolderID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), jeton.NewID()[:8])
}

// ReportHolder records that holder holds ring's KEKs as of now.
func ReportHolder(ctx context.Context, store jeton.KEKHolderStore, holder string, ring *Keyring, now time.Time) error {
	h := jeton.KEKHolder{ID: holder, KEKIDs: ring.IDs(), SeenAt: now}
	if err := store.ReportKEKHolder(ctx, h, now.Add(-holderForget)); err != nil {
		return fmt.Errorf("keys: report the KEKs this server holds: %w", err)
	}
	return nil
}

// ErrHolderLacksKEK reports running servers that could not open values sealed under
// the KEK a rotation is about to seal with.
var ErrHolderLacksKEK = errors.New("keys: a running server does not hold the current key-encryption key")

// CheckHolders lists the servers seen within HolderWindow of now and fails with
// ErrHolderLacksKEK, naming each, when one of them does not hold ring's current KEK
// (as its own KEK or a previous one).
func CheckHolders(ctx context.Context, store jeton.KEKHolderStore, ring *Keyring, now time.Time) ([]jeton.KEKHolder, error) {
	hs, err := store.ListKEKHolders(ctx, now.Add(-HolderWindow))
	if err != nil {
		return nil, fmt.Errorf("keys: list the servers' KEKs: %w", err)
	}
	var lacking []string
	for _, h := range hs {
		if !slices.Contains(h.KEKIDs, ring.CurrentID()) {
			lacking = append(lacking, fmt.Sprintf("%s (holds %s, seen %s ago)", h.ID, strings.Join(h.KEKIDs, ", "),
				now.Sub(h.SeenAt).Truncate(time.Second)))
		}
	}
	if len(lacking) > 0 {
		return hs, fmt.Errorf("%w %s: %s", ErrHolderLacksKEK, ring.CurrentID(), strings.Join(lacking, "; "))
	}
	return hs, nil
}

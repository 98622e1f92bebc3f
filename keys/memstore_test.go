package keys

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/testclock"
)

// memKeyStore is a test double for jeton.KeyStore, used because the SQLite store is
// being written alongside this package. It keeps the contract the Manager relies on:
// AddSigningKey retires every current key of next.Alg (RetiredAt = next.ActiveAt,
// UnpublishAt = unpublishAt) and inserts next in one step under a lock, duplicate kids
// are ErrConflict, and rows are returned oldest first as copies, so a test that edits
// what it got back cannot reach into the "database".
type memKeyStore struct {
	mu    sync.Mutex
	rows  []jeton.SigningKey
	audit []jeton.AuditEvent // written by ReplaceSigningKey with its key
}

func (s *memKeyStore) ListSigningKeys(context.Context) ([]jeton.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]jeton.SigningKey, len(s.rows))
	for i, k := range s.rows {
		out[i] = cloneKey(k)
	}
	return out, nil
}

func (s *memKeyStore) AddSigningKey(_ context.Context, next jeton.SigningKey, unpublishAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.rows, func(k jeton.SigningKey) bool { return k.ID == next.ID }) {
		return fmt.Errorf("signing key %s: %w", next.ID, jeton.ErrConflict)
	}
	for i := range s.rows {
		if s.rows[i].Alg == next.Alg && s.rows[i].RetiredAt.IsZero() {
			s.rows[i].RetiredAt, s.rows[i].UnpublishAt = next.ActiveAt, unpublishAt
		}
	}
	s.rows = append(s.rows, cloneKey(next))
	return nil
}

func (s *memKeyStore) AddFirstSigningKey(_ context.Context, k jeton.SigningKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.rows, func(r jeton.SigningKey) bool {
		return r.ID == k.ID || (r.Alg == k.Alg && r.RetiredAt.IsZero() && k.RetiredAt.IsZero())
	}) {
		return fmt.Errorf("signing key %s: %w", k.ID, jeton.ErrConflict)
	}
	s.rows = append(s.rows, cloneKey(k))
	return nil
}

func (s *memKeyStore) ReplaceSigningKey(_ context.Context, predecessorID string, next jeton.SigningKey, unpublishAt time.Time, ev jeton.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.rows, func(k jeton.SigningKey) bool {
		return k.ID == predecessorID && k.Alg == next.Alg && k.RetiredAt.IsZero()
	})
	if i < 0 || slices.ContainsFunc(s.rows, func(k jeton.SigningKey) bool { return k.ID == next.ID }) {
		return fmt.Errorf("signing key %s: %w", predecessorID, jeton.ErrConflict)
	}
	s.rows[i].RetiredAt, s.rows[i].UnpublishAt = next.ActiveAt, unpublishAt
	s.rows = append(s.rows, cloneKey(next))
	s.audit = append(s.audit, ev)
	return nil
}

func (s *memKeyStore) DeleteSigningKeys(_ context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := len(s.rows)
	s.rows = slices.DeleteFunc(s.rows, func(k jeton.SigningKey) bool {
		return !k.UnpublishAt.IsZero() && k.UnpublishAt.Before(now)
	})
	return before - len(s.rows), nil
}

// edit changes the stored row kid in place, as a tamperer with database access would.
func (s *memKeyStore) edit(kid string, f func(*jeton.SigningKey)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.rows {
		if s.rows[i].ID == kid {
			f(&s.rows[i])
		}
	}
}

func cloneKey(k jeton.SigningKey) jeton.SigningKey {
	k.PublicDER, k.PrivateSealed = bytes.Clone(k.PublicDER), bytes.Clone(k.PrivateSealed)
	return k
}

// newClock returns the tests' injected clock (DESIGN rule 6).
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}

// testStore names a KeyStore constructor that forEachStore runs scenarios against.
type testStore struct {
	name string
	open func(t *testing.T) jeton.KeyStore
}

// testStores always holds the in-memory double; sqlite_test.go adds the real SQLite
// store, so rotation is also checked through real time and blob round-trips.
var testStores = []testStore{
	{"memory", func(*testing.T) jeton.KeyStore { return &memKeyStore{} }},
}

func forEachStore(t *testing.T, f func(t *testing.T, store jeton.KeyStore)) {
	for _, s := range testStores {
		t.Run(s.name, func(t *testing.T) { f(t, s.open(t)) })
	}
}

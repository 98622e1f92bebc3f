package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// replayRounds is how many codes RaceCodeReplay races, one after the other: the
// losing interleaving is rare (a few percent of rounds), so it takes many.
const replayRounds = 200

// replayRacers is how many goroutines present each code at once.
const replayRacers = 6

// RaceCodeReplay proves the rule behind RFC 6749 §4.1.2 and RFC 9700 §4.14 (code
// replay revokes the grant), whatever the interleaving: replayRacers goroutines
// present one code at once, round after round. The one whose
// ConsumeAuthorizationCode wins exchanges it, as the token endpoint does: it starts
// the refresh family named by the code's grant id. Every other one sees
// ErrAlreadyUsed and revokes the grant, as the replay path does. Once a replay was
// seen, no live family of that grant may remain: either the exchange's family insert
// fails (ErrConflict) or the family is revoked.
//
// Goroutine i uses stores[i % len(stores)], so passing two Stores on one database
// races two replicas. The stores must be seeded alike by the caller's fresh database;
// RaceCodeReplay seeds the first.
func RaceCodeReplay(t *testing.T, stores ...jeton.Store) {
	t.Helper()
	seed(t, stores[0], "inst-a", "client-a")
	live := 0
	for r := range replayRounds {
		if codeReplayRound(t, stores, r) {
			live++
		}
	}
	if live > 0 {
		t.Errorf("%d of %d rounds left a live refresh family after the code's replay was refused", live, replayRounds)
	}
}

// codeReplayRound races one code; it reports whether a replay was seen and yet the
// grant's family is live.
func codeReplayRound(t *testing.T, stores []jeton.Store, r int) bool {
	t.Helper()
	ctx := t.Context()
	secret := fmt.Sprintf("code-%d", r)
	c := newCode(secret)
	ok(t, "create code", stores[0].CreateAuthorizationCode(ctx, c))
	rt := "rt-" + secret
	var replays atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replayRacers {
		s := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			got, err := s.ConsumeAuthorizationCode(ctx, c.Digest, "client-a", at(time.Second))
			switch {
			case err == nil:
				// The token endpoint reads the client and customer in between.
				if _, err := s.GetClient(ctx, got.ClientID); err != nil {
					t.Errorf("round %d: get client: %v", r, err)
				}
				f := newFamily(got.GrantID, got.ClientID, got.InstitutionID)
				err := s.CreateRefreshFamily(ctx, f, newToken(rt, f.ID, at(time.Second)))
				if err != nil && !errors.Is(err, jeton.ErrConflict) {
					t.Errorf("round %d: exchange: %v", r, err)
				}
			case errors.Is(err, jeton.ErrAlreadyUsed):
				replays.Add(1)
				if err := replayCode(t, s, got); err != nil {
					t.Errorf("round %d: replay: %v", r, err)
				}
			default:
				t.Errorf("round %d: consume: %v", r, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if replays.Load() == 0 {
		return false
	}
	_, f, err := stores[0].GetRefreshToken(ctx, jeton.RefreshKey(c.GrantID, rt))
	if errors.Is(err, jeton.ErrNotFound) {
		return false
	}
	ok(t, "get family", err)
	return f.RevokedAt.IsZero()
}

// replayCode is what the token endpoint does with a replayed code c: revoke its grant
// in one RevokeGrant call.
func replayCode(t *testing.T, s jeton.Store, c jeton.AuthorizationCode) error {
	t.Helper()
	tomb := newFamily(c.GrantID, c.ClientID, c.InstitutionID)
	tomb.RevokedAt = at(time.Second)
	return s.RevokeGrant(t.Context(), jeton.Revocation{Kind: jeton.RevokeFamily, ID: c.GrantID,
		InstitutionID: c.InstitutionID, RevokedAt: at(time.Second), ExpiresAt: at(time.Hour)}, tomb)
}

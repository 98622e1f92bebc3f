package token_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/storeobs"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// opLog records the store operations a test makes.
type opLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *opLog) Begin(ctx context.Context, op string) (context.Context, func(error)) {
	l.mu.Lock()
	l.ops = append(l.ops, op)
	l.mu.Unlock()
	return ctx, func(error) {}
}

func (l *opLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ops := l.ops
	l.ops = nil
	return ops
}

// A rotating refresh is one store call, the claim (which PostgreSQL answers in one
// round trip); the token, the family and the customer are not read apart from it. The
// client is read through the client cache, which this world does not keep (TTL 0) and
// serve does, so its GetClient is left out.
func TestRefreshIsOneStoreCall(t *testing.T) {
	log := &opLog{}
	w := newRTWorld(t, storeobs.Wrap(sqlitetest.New(t), log))
	res := w.seed(t, "app", "accounts:read")
	for _, scope := range [][]string{nil, {"accounts:read"}} {
		log.take()
		res = w.mustRefresh(t, "app", res.RefreshToken, scope...)
		ops := slices.DeleteFunc(log.take(), func(op string) bool { return op == "GetClient" })
		if !slices.Equal(ops, []string{"ClaimRefreshToken"}) {
			t.Errorf("store calls of one refresh (scope %q): %v, want [ClaimRefreshToken]", scope, ops)
		}
	}
}

// A claim the store turns down changed nothing: once the reason is gone (here the
// customer's lock runs out) the same token refreshes.
func TestRefreshRefusedForALockedCustomerKeepsTheToken(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	res := w.seed(t, "app", "accounts:read")
	ctx := context.Background()
	cust, err := w.store.GetCustomer(ctx, rtInstA, rtCustomer)
	if err != nil {
		t.Fatal(err)
	}
	cust.LockedUntil = w.clock.Now().Add(time.Minute)
	if err := w.store.UpdateCustomer(ctx, cust); err != nil {
		t.Fatal(err)
	}
	_, err = w.refresh("app", res.RefreshToken)
	wantProtoErr(t, err, jeton.CodeInvalidGrant, jeton.ReasonLocked)
	w.clock.Advance(time.Minute)
	w.mustRefresh(t, "app", res.RefreshToken)
}

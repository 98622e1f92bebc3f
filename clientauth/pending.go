package clientauth

import (
	"context"
	"time"

	"github.com/jeton/jeton"
)

// Pending is an assertion's single-use record (RFC 7523 §3 item 7) that was started
// but not waited for. The engine uses it to sign and issue while the record commits
// (token.Engine.Token): under load a commit is the longest wait of a request, and a
// CardCore request would otherwise wait for two of them, one after the other.
//
// The decision is not weakened: authentication still fails, with the same answer, when
// the record finds the assertion used before; the caller just learns it from Wait, and
// must not hand out anything it made before Wait returned nil.
type Pending struct {
	wait func() error // nil when nothing was started
	done bool
	err  error
}

type pendingKey struct{}

// WithPending returns a context under which an assertion method starts its single-use
// record without waiting for it, and the Pending that reports the outcome. Methods
// that write nothing (client secrets, none) ignore it.
func WithPending(ctx context.Context) (context.Context, *Pending) {
	p := &Pending{}
	return context.WithValue(ctx, pendingKey{}, p), p
}

// Wait returns the started record's outcome: nil when it was recorded or when nothing
// was started, the invalid_client error of a replay otherwise. A nil Pending waits for
// nothing. Wait is for the one goroutine that runs the request.
func (p *Pending) Wait() error {
	if p == nil || p.wait == nil {
		return nil
	}
	if !p.done {
		p.err, p.done = p.wait(), true
	}
	return p.err
}

// ReplayStarter is an AssertionStore that can queue a record and return at once;
// wait (called once) returns what UseAssertionID would have. sqlite.Store is one:
// with it the record is queued the moment the assertion has passed, and a Pending
// waits on the store's own answer. With other stores a Pending runs UseAssertionID on
// a goroutine.
type ReplayStarter interface {
	StartUseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) (wait func() error)
}

// unstartedPending returns the Pending in ctx if it has no record yet.
func unstartedPending(ctx context.Context) *Pending {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	if p == nil || p.wait != nil {
		return nil
	}
	return p
}

// startRecord starts the record of (clientID, jti) on store and returns its wait.
func startRecord(ctx context.Context, store jeton.AssertionStore, clientID, jti string, until, now time.Time) func() error {
	if st, ok := store.(ReplayStarter); ok {
		return st.StartUseAssertionID(ctx, clientID, jti, until, now)
	}
	done := make(chan error, 1)
	go func() { done <- store.UseAssertionID(ctx, clientID, jti, until, now) }()
	return func() error { return <-done }
}

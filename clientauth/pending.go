package clientauth

import (
	"context"
	"time"

	"github.com/jeton/jeton"
)

// Pending is the single-use record (RFC 7523 §3 item 7) of an assertion that passed
// every other check: Authenticate decides it and returns it with the client, unwritten,
// and the caller writes it. Most callers Wait at once. token.Engine, for a grant that
// stores nothing, Starts it and signs and issues while it commits: under load a commit
// is the longest wait of a request, and a CardCore request would otherwise wait for two
// of them, one after the other.
//
// The decision is not weakened: authentication fails, with the same answer, when the
// record finds the assertion used before; the caller learns it from Wait, and must not
// hand out anything it made before Wait returned nil. The zero Pending (client secrets,
// none) records nothing. A Pending is for the one goroutine that runs the request.
type Pending struct {
	a             *Assertion // nil: nothing to record
	clientID, jti string
	institutionID string // the client's, for a replay's security event
	until, now    time.Time
	wait          func() error // set by Start
	done          bool
	err           error
}

// Start queues the record and returns at once; Wait then reports its outcome.
func (p *Pending) Start(ctx context.Context) {
	if p.a == nil || p.wait != nil || p.done {
		return
	}
	p.wait = startRecord(ctx, p.a.cfg.Replay, p.clientID, p.jti, p.until, p.now)
}

// Wait returns the record's outcome, writing it now unless Start did: nil when it was
// recorded or when there is nothing to record, the invalid_client error of a replay
// otherwise. Later calls return the same.
func (p *Pending) Wait(ctx context.Context) error {
	if p.a == nil || p.done {
		return p.err
	}
	var err error
	if p.wait != nil {
		err = p.wait()
	} else {
		err = p.a.cfg.Replay.UseAssertionID(ctx, p.clientID, p.jti, p.until, p.now)
	}
	p.err, p.done = p.a.replayErr(ctx, p, err), true
	return p.err
}

// ReplayStarter is an AssertionStore that can queue a record and return at once;
// wait (called once) returns what UseAssertionID would have. sqlite.Store is one:
// with it a started record is queued at once and Wait waits on the store's own
// answer. With other stores Start runs UseAssertionID on a goroutine.
type ReplayStarter interface {
	StartUseAssertionID(ctx context.Context, clientID, jti string, expiresAt, now time.Time) (wait func() error)
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

package clientauth

import "context"

// Pending is an assertion's single-use record (RFC 7523 §3 item 7) that was started
// but not waited for. The engine uses it to sign and issue while the record commits
// (token.Engine.Token): under load a commit is the longest wait of a request, and a
// CardCore request would otherwise wait for two of them, one after the other.
//
// The decision is not weakened: authentication still fails, with the same answer, when
// the record finds the assertion used before; the caller just learns it from Wait, and
// must not hand out anything it made before Wait returned nil.
type Pending struct {
	done chan struct{} // closed when err is set; nil when nothing was started
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
// nothing.
func (p *Pending) Wait() error {
	if p == nil || p.done == nil {
		return nil
	}
	<-p.done
	return p.err
}

// start runs record on its own goroutine if ctx carries a Pending that has none yet;
// otherwise it runs record and returns its outcome.
func start(ctx context.Context, record func() error) error {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	if p == nil || p.done != nil {
		return record()
	}
	p.done = make(chan struct{})
	go func() {
		p.err = record()
		close(p.done)
	}()
	return nil
}

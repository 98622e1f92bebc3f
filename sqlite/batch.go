package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// maxBatch bounds how many writes share one transaction, so one commit never waits
// on an unbounded queue.
const maxBatch = 64

var errClosed = errors.New("sqlite: store is closed")

// writeOp is one caller's write: fn runs inside the shared transaction, under its own
// SAVEPOINT.
type writeOp struct {
	ctx context.Context
	// fn gets a context that cannot be cancelled: SQLite rolls back the whole
	// transaction when a write statement in it is interrupted, which would undo the
	// other callers' writes of the batch.
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
	// single marks a write of one statement: SQLite undoes a failed statement's own
	// changes and keeps the transaction (the ABORT conflict resolution), so it needs
	// no savepoint, which saves two statements per write on the hot path.
	single bool
}

// inTx runs fn atomically and returns once its effects are committed (or undone).
//
// Group commit: writes that arrive while a transaction is being committed are queued,
// and the single writer goroutine runs the next batch of up to maxBatch of them in one
// BEGIN IMMEDIATE transaction, each under its own SAVEPOINT. A write that fails rolls
// back to its savepoint and leaves the others alone; each caller is answered only after
// the COMMIT, with the commit's error if it failed. Every write therefore stays one
// atomic unit seen in a serial order (DESIGN rule 1) — concurrent single-use calls
// still have exactly one winner — while N concurrent writers pay for one commit instead
// of N. It is what lets one SQLite file keep up with a busy token endpoint.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.enqueue(&writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// enqueue hands op to the committer. s.ops is buffered: a writer that finds the
// committer busy leaves its write in the queue and goes straight to waiting for the
// outcome, instead of parking until the committer takes it and being woken twice.
func (s *Store) enqueue(op *writeOp) error {
	if err := s.queue(op); err != nil {
		return err
	}
	// Once queued the write may commit, so wait for its outcome even if ctx ends:
	// answering "cancelled" for a write that happened would be a lie.
	return <-op.done
}

// startSingle queues fn as a write that needs no savepoint (writeOp.single) and
// returns at once; wait (called once) returns its outcome, as enqueue would have.
func (s *Store) startSingle(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) (wait func() error) {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1), single: true}
	if err := s.queue(op); err != nil {
		return func() error { return err }
	}
	return func() error { return <-op.done }
}

// queue hands op to the committer without waiting for its outcome (op.done).
func (s *Store) queue(op *writeOp) error {
	select {
	case s.ops <- op:
		return nil
	case <-op.ctx.Done():
		return op.ctx.Err()
	case <-s.quit:
		return errClosed
	}
}

// commitDelay bounds how long an open batch waits for more writes before it commits,
// and only under load (see runBatch). PostgreSQL's commit_delay is the same idea.
// Since every COMMIT syncs the WAL (synchronous=FULL), a batch cut short by the delay
// costs a whole fsync for a few writes, and the next batch, sized by this one, is
// cut short too: at 2 ms, against 500 µs, private_key_jwt and CardCore answered 15-23 %
// more requests at 16 and 64 connections, refresh the same or more, and p99 fell;
// 3-5 ms changed nothing further (docs/benchmarks.md, "The commit delay").
const commitDelay = 2 * time.Millisecond

// commitLoop is the single writer. It exits when quit closes, failing queued writes.
func (s *Store) commitLoop() {
	defer close(s.stopped)
	last := 1 // size of the previous batch
	for {
		select {
		case op := <-s.ops:
			last = s.runBatch(op, last)
		case m := <-s.maint:
			m.done <- m.fn(context.WithoutCancel(m.ctx), s.writer)
		case <-s.quit:
			for {
				select {
				case op := <-s.ops:
					op.done <- errClosed
				default:
					return
				}
			}
		}
	}
}

// runBatch runs first and the writes that follow it in one transaction, each as it
// arrives, and commits when the queue is empty — or, under load, when as many writes
// as in the previous batch (want) have run or commitDelay has passed, whichever comes
// first. Each COMMIT costs a fixed number of system calls (the WAL frames' writes and
// the locks), which on this kind of machine is most of a write's cost, while the
// callers of a busy token endpoint come back within a fraction of a millisecond: not
// committing the moment the queue runs dry lets one commit carry the whole wave of
// requests instead of a commit per two or three (docs/benchmarks.md). With no load
// (want is 1) nothing waits. It returns the batch size.
func (s *Store) runBatch(first *writeOp, want int) int {
	tx, err := s.writer.BeginTx(context.Background(), nil)
	if err != nil {
		s.answer([]*writeOp{first}, []error{err}, nil)
		return 1
	}
	batch, results := []*writeOp{first}, []error{s.runOp(tx, first)}
	var deadline <-chan time.Time
	if want > 1 {
		t := time.NewTimer(commitDelay)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < maxBatch {
		op, ok := s.next(deadline, len(batch) >= want)
		if !ok {
			break
		}
		batch, results = append(batch, op), append(results, s.runOp(tx, op))
	}
	s.answer(batch, results, tx.Commit())
	return len(batch)
}

// next returns a queued write; if none is queued it waits for one until deadline
// (nil: no waiting) unless enough have run already.
func (s *Store) next(deadline <-chan time.Time, enough bool) (*writeOp, bool) {
	select {
	case op := <-s.ops:
		return op, true
	default:
	}
	if deadline == nil || enough {
		return nil, false
	}
	select {
	case op := <-s.ops:
		return op, true
	case <-deadline:
		return nil, false
	case <-s.quit:
		return nil, false
	}
}

// maintOp is work on the committer's connection outside any transaction (maintain).
type maintOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, c *sql.Conn) error
	done chan error
}

// maintain runs fn on the committer's connection between two batches, outside any
// transaction, and returns its error. fn's context cannot be cancelled (it must
// leave the connection as it found it); ctx bounds only the wait for the committer.
func (s *Store) maintain(ctx context.Context, fn func(ctx context.Context, c *sql.Conn) error) error {
	m := &maintOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.maint <- m:
		return <-m.done
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return errClosed
	}
}

// answer tells each caller its write's outcome: its own error, or the commit's.
func (s *Store) answer(batch []*writeOp, results []error, commitErr error) {
	for i, op := range batch {
		if commitErr != nil && results[i] == nil {
			results[i] = commitErr
		}
		op.done <- results[i]
	}
}

// runOp runs one write under a savepoint: its failure undoes only its own changes.
func (s *Store) runOp(tx *sql.Tx, op *writeOp) error {
	if err := op.ctx.Err(); err != nil {
		return err
	}
	ctx := context.WithoutCancel(op.ctx) // see writeOp.fn
	if op.single {
		return op.fn(ctx, tx)
	}
	if _, err := s.execTx(ctx, tx, "SAVEPOINT op"); err != nil {
		return err
	}
	if err := op.fn(ctx, tx); err != nil {
		_, rbErr := s.execTx(ctx, tx, "ROLLBACK TO op")
		_, relErr := s.execTx(ctx, tx, "RELEASE op")
		return errors.Join(err, rbErr, relErr)
	}
	_, err := s.execTx(ctx, tx, "RELEASE op")
	return err
}

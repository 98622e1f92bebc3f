package sqlite

import (
	"context"
	"database/sql"
	"errors"
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

func (s *Store) enqueue(op *writeOp) error {
	ctx := op.ctx
	select {
	case s.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return errClosed
	}
	// Once queued the write may commit, so wait for its outcome even if ctx ends:
	// answering "cancelled" for a write that happened would be a lie.
	return <-op.done
}

// commitLoop is the single writer. It exits when quit closes, failing queued writes.
func (s *Store) commitLoop() {
	defer close(s.stopped)
	for {
		select {
		case op := <-s.ops:
			s.runBatch(s.collect(op))
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

// collect takes first and whatever else is already waiting, up to maxBatch.
func (s *Store) collect(first *writeOp) []*writeOp {
	batch := []*writeOp{first}
	for len(batch) < maxBatch {
		select {
		case op := <-s.ops:
			batch = append(batch, op)
		default:
			return batch
		}
	}
	return batch
}

func (s *Store) runBatch(batch []*writeOp) {
	results := make([]error, len(batch))
	tx, err := s.write.BeginTx(context.Background(), nil)
	if err == nil {
		for i, op := range batch {
			results[i] = s.runOp(tx, op)
		}
		err = tx.Commit()
	}
	for i, op := range batch {
		if err != nil && results[i] == nil {
			results[i] = err
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

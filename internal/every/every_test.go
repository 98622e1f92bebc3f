package every_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton/internal/every"
)

func TestRunUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	done := make(chan struct{})
	go func() {
		every.Run(ctx, time.Millisecond, func() {
			if n.Add(1) == 3 {
				cancel()
			}
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if got := n.Load(); got < 3 {
		t.Fatalf("f ran %d times", got)
	}
}

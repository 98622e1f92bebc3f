// Package every runs periodic work: key reloads, certificate polls.
package every

import (
	"context"
	"time"
)

// Run calls f every interval until ctx ends; the first call is one interval after
// the start. Calls never overlap: a slow f delays the next one.
func Run(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

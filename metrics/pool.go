package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jeton/jeton/token"
)

// hashPool is the password-hash pool's metrics: what waits, how long, and what is
// refused (token.HashPool).
type hashPool struct {
	reg     prometheus.Registerer
	wait    prometheus.Histogram
	refused prometheus.Counter
}

func newHashPool(reg prometheus.Registerer) *hashPool {
	p := &hashPool{
		reg: reg,
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "jeton_password_pool_wait_seconds",
			Help:    "Time a password verification waited in the queue for an argon2id worker.",
			Buckets: []float64{.0001, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jeton_password_pool_refused_total",
			Help: "Password verifications refused (503) because the queue was full or the client left while waiting.",
		}),
	}
	reg.MustRegister(p.wait, p.refused)
	return p
}

// Waited implements token.HashPoolObserver.
func (p *hashPool) Waited(d time.Duration) { p.wait.Observe(d.Seconds()) }

// Refused implements token.HashPoolObserver.
func (p *hashPool) Refused() { p.refused.Inc() }

// PoolDepth is the instant depth of a hash pool (token.HashPool).
type PoolDepth interface {
	Busy() int
	Waiting() int
}

// HashPool returns the observer to configure the pool with
// (token.HashPoolConfig.Observer).
func (s *Set) HashPool() token.HashPoolObserver { return s.pool }

// WatchHashPool reports p's depth at each scrape.
func (s *Set) WatchHashPool(p PoolDepth) {
	s.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "jeton_password_pool_busy",
			Help: "argon2id verifications running now (at most --password-workers).",
		}, func() float64 { return float64(p.Busy()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "jeton_password_pool_waiting",
			Help: "Password verifications waiting for a worker now (at most --password-queue).",
		}, func() float64 { return float64(p.Waiting()) }),
	)
}

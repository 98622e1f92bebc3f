package keys

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics names (docs/operations.md, "What to monitor").
const (
	metricKeyAge       = "jeton_signing_key_age_seconds"
	metricNextRotation = "jeton_signing_key_next_rotation_timestamp_seconds"
)

var (
	keyAgeDesc = prometheus.NewDesc(metricKeyAge,
		"Age of the signing key that signs now, per alg: seconds since it was created.",
		[]string{"alg"}, nil)
	nextRotationDesc = prometheus.NewDesc(metricNextRotation,
		"Unix time at which the schedule (--key-rotation-interval) replaces the alg's current key; absent while the schedule is off.",
		[]string{"alg"}, nil)
)

// Collector returns the Prometheus collector of the key gauges. A scrape reads the
// in-memory key snapshot and the clock only, never the store; the alg label takes
// at most the four supported algs.
func (s *Scheduler) Collector() prometheus.Collector { return keyCollector{s} }

type keyCollector struct{ s *Scheduler }

// Describe implements prometheus.Collector.
func (c keyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- keyAgeDesc
	ch <- nextRotationDesc
}

// Collect implements prometheus.Collector.
func (c keyCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.s.m.snap.Load()
	now := c.s.m.cfg.Now()
	for _, alg := range snap.algs() {
		if k, ok := snap.signing(alg, now); ok {
			ch <- prometheus.MustNewConstMetric(keyAgeDesc, prometheus.GaugeValue, now.Sub(k.CreatedAt).Seconds(), alg)
		}
		if at, ok := c.s.nextRotation(snap, alg); ok {
			ch <- prometheus.MustNewConstMetric(nextRotationDesc, prometheus.GaugeValue, float64(at.UnixNano())/1e9, alg)
		}
	}
}

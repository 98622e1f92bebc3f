package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jeton/jeton/internal/ttlcache"
)

// caches reads the hit and miss counts every watched cache keeps (ttlcache.Stats) at
// each scrape, so a lookup pays one atomic increment and no Prometheus call.
type caches struct {
	desc *prometheus.Desc
	mu   sync.Mutex
	list []watchedCache
}

type watchedCache struct {
	name  string
	stats func() ttlcache.Stats
}

func newCaches(reg prometheus.Registerer) *caches {
	c := &caches{desc: prometheus.NewDesc("jeton_cache_requests_total",
		"Cache lookups by cache and result (hit: answered from memory; miss: read from the store or the network).",
		[]string{"cache", "result"}, nil)}
	reg.MustRegister(c)
	return c
}

// WatchCache reports a cache's lookups as jeton_cache_requests_total{cache=name}. The
// name is the code's (client, calendar, …), never input.
func (s *Set) WatchCache(name string, stats func() ttlcache.Stats) {
	s.caches.mu.Lock()
	defer s.caches.mu.Unlock()
	s.caches.list = append(s.caches.list, watchedCache{name, stats})
}

// Describe implements prometheus.Collector.
func (c *caches) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *caches) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	list := c.list
	c.mu.Unlock()
	for _, w := range list {
		st := w.stats()
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(st.Hits), w.name, "hit")
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(st.Misses), w.name, "miss")
	}
}

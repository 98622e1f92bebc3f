// Package metrics is jeton's Prometheus instrumentation outside the HTTP middleware
// (httpapi.Metrics): store calls, security events, the password-hash pool, caches,
// LISTEN connections and the janitor. Components report through small interfaces of
// their own (storeobs.Hook, jeton.SecurityObserver, token.HashPoolObserver,
// janitor.Observer, ttlcache.Stats); this package implements them, so no component
// imports Prometheus.
//
// Every label value comes from a closed set written in the code (store method names,
// event kinds and reasons, cache and channel names); nothing a client sends becomes a
// label. docs/operations.md ("Monitoring") lists every metric.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Set is the metrics of one server, registered with one registry.
type Set struct {
	reg     prometheus.Registerer
	store   *StoreHook
	events  *SecurityEvents
	pool    *hashPool
	caches  *caches
	listen  *listenMetrics
	janitor *janitorMetrics
}

// New registers jeton's metrics with reg.
func New(reg prometheus.Registerer) *Set {
	s := &Set{
		reg:     reg,
		store:   newStoreHook(reg),
		events:  newSecurityEvents(reg),
		pool:    newHashPool(reg),
		caches:  newCaches(reg),
		listen:  newListen(reg),
		janitor: newJanitor(reg),
	}
	return s
}

// StoreHook observes store calls (storeobs.Wrap).
func (s *Set) StoreHook() *StoreHook { return s.store }

// Events counts security events (one observer of jeton.SecurityObservers).
func (s *Set) Events() *SecurityEvents { return s.events }

package main

import (
	"sync"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/auditlog"
	"github.com/jeton/jeton/internal/storeobs"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// observe makes the registry /metrics serves, with jeton's metrics in it, wraps the
// store so that every store call is observed (storeobs), and gathers the security
// observers. It runs once the store is open and migrated, before anything uses it.
func (a *app) observe(storeKind string) {
	a.reg = &registry{Registry: prometheus.NewRegistry()}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.metrics = metrics.New(a.reg)
	hooks := []storeobs.Hook{a.metrics.StoreHook()}
	if h := tracing.NewStoreHook(a.tracer, storeKind); h != nil { // tracing on: one span per store call
		hooks = append(hooks, h)
	}
	a.store = storeobs.Wrap(a.store, hooks...)
	a.securityAudit = auditlog.New(auditlog.Config{Store: a.store, Window: a.cfg.AuditSecurityWindow, Logger: a.logger})
	a.events = a.securityObservers()
}

// securityObservers is the one list of what receives security events (lockouts,
// replays, revoked families, disabled clients, rotated keys, rate limits): the metrics
// count them by kind and reason, and the audit log's aggregator writes one row per
// kind, institution, client and reason per --audit-security-window. Every component
// that reports an event is handed this list.
func (a *app) securityObservers() jeton.SecurityObservers {
	return jeton.SecurityObservers{a.metrics.Events(), a.securityAudit}
}

// registry is the Prometheus registry /metrics serves. It keeps what was registered,
// so that the metrics jeton registers can be listed whether or not they have a series
// yet (the dashboard test checks every query against that list).
type registry struct {
	*prometheus.Registry
	mu         sync.Mutex
	collectors []prometheus.Collector
}

// Register implements prometheus.Registerer.
func (r *registry) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, c)
	return nil
}

// MustRegister implements prometheus.Registerer.
func (r *registry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// Collectors returns what was registered.
func (r *registry) Collectors() []prometheus.Collector {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]prometheus.Collector(nil), r.collectors...)
}

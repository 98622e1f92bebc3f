package main

import (
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/storeobs"
	"github.com/jeton/jeton/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// observe makes the registry /metrics serves, with jeton's metrics in it, wraps the
// store so that every store call is observed (storeobs), and gathers the security
// observers. It runs once the store is open and migrated, before anything uses it.
func (a *app) observe() {
	a.reg = prometheus.NewRegistry()
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.metrics = metrics.New(a.reg)
	a.store = storeobs.Wrap(a.store, a.metrics.StoreHook())
	a.events = securityObservers(a.metrics)
}

// securityObservers is the one list of what receives security events (lockouts,
// replays, revoked families, disabled clients, rotated keys, rate limits): every
// component that reports one is handed this list.
func securityObservers(m *metrics.Set) jeton.SecurityObservers {
	return jeton.SecurityObservers{m.Events()}
}

package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jeton/jeton"
)

// SecurityEvents counts jeton.SecurityEvents by kind and reason, nothing else: the
// institution, client and subject of an event are for the audit log only.
type SecurityEvents struct {
	vec   *prometheus.CounterVec
	known map[jeton.SecurityEventKind]map[string]prometheus.Counter
}

func newSecurityEvents(reg prometheus.Registerer) *SecurityEvents {
	e := &SecurityEvents{
		vec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jeton_security_events_total",
			Help: "Security events by kind (customer.locked, replay.refused, family.revoked, client.disabled, key.rotated, ratelimit.tripped) and reason.",
		}, []string{"kind", "reason"}),
		known: map[jeton.SecurityEventKind]map[string]prometheus.Counter{},
	}
	// Every known series exists from the start at 0, so rate() sees the first event.
	for kind, reasons := range jeton.SecurityEventReasons {
		e.known[kind] = map[string]prometheus.Counter{}
		for _, r := range reasons {
			e.known[kind][r] = e.vec.WithLabelValues(string(kind), reasonLabel(r))
		}
	}
	reg.MustRegister(e.vec)
	return e
}

// reasonLabel is "none" for a kind without reasons.
func reasonLabel(r string) string {
	if r == "" {
		return "none"
	}
	return r
}

// SecurityEvent implements jeton.SecurityObserver: one increment, never blocking. An
// unknown kind or reason is counted as "other".
func (e *SecurityEvents) SecurityEvent(_ context.Context, ev jeton.SecurityEvent) {
	reasons, ok := e.known[ev.Kind]
	if !ok {
		e.vec.WithLabelValues("other", "other").Inc()
		return
	}
	if c, ok := reasons[ev.Reason]; ok {
		c.Inc()
		return
	}
	e.vec.WithLabelValues(string(ev.Kind), "other").Inc()
}

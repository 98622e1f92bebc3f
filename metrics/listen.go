package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// listenMetrics are the cross-replica change notifications (PostgreSQL
// LISTEN/NOTIFY): whether each listening connection is up, and what it delivered.
type listenMetrics struct {
	up       *prometheus.GaugeVec
	received *prometheus.CounterVec
}

func newListen(reg prometheus.Registerer) *listenMetrics {
	l := &listenMetrics{
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jeton_listen_up",
			Help: "1 while the change-notification (PostgreSQL LISTEN) connection of a cache is up, 0 while it reconnects.",
		}, []string{"cache"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jeton_cache_invalidations_received_total",
			Help: "Cache entries dropped because another replica (or this one) changed them, by cache, as told by the change notifications.",
		}, []string{"cache"}),
	}
	reg.MustRegister(l.up, l.received)
	return l
}

// Listener is one cache's change-notification connection.
type Listener struct {
	up       prometheus.Gauge
	received prometheus.Counter
}

// Listen returns the metrics of cache's change-notification connection (cache:
// "client", "calendar"). Its gauge exists from now on, at 0 until Up.
func (s *Set) Listen(cache string) *Listener {
	l := &Listener{up: s.listen.up.WithLabelValues(cache), received: s.listen.received.WithLabelValues(cache)}
	l.up.Set(0)
	return l
}

// Up records whether the connection is listening.
func (l *Listener) Up(up bool) {
	if up {
		l.up.Set(1)
	} else {
		l.up.Set(0)
	}
}

// Received counts one invalidation delivered by a notification.
func (l *Listener) Received() { l.received.Inc() }

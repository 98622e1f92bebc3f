package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jeton/jeton/janitor"
)

// janitorMetrics are the janitor's passes (janitor.Observer).
type janitorMetrics struct {
	rows        prometheus.Counter
	passes      *prometheus.CounterVec
	lastSuccess prometheus.Gauge
}

func newJanitor(reg prometheus.Registerer) *janitorMetrics {
	j := &janitorMetrics{
		rows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jeton_janitor_deleted_rows_total",
			Help: "Expired rows the janitor deleted (assertion ids, revocations, opaque tokens, refresh tokens and families, token slots).",
		}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jeton_janitor_passes_total",
			Help: "Janitor passes by result (ok, error).",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jeton_janitor_last_success_timestamp_seconds",
			Help: "Unix time the last complete janitor pass ended (0: none yet).",
		}),
	}
	j.passes.WithLabelValues("ok")
	j.passes.WithLabelValues("error")
	reg.MustRegister(j.rows, j.passes, j.lastSuccess)
	return j
}

// Janitor returns the observer of the janitor's passes (janitor.Config.Observer).
func (s *Set) Janitor() janitor.Observer { return s.janitor }

// Pass implements janitor.Observer.
func (j *janitorMetrics) Pass(removed int, err error) {
	j.rows.Add(float64(removed))
	if err != nil {
		j.passes.WithLabelValues("error").Inc()
		return
	}
	j.passes.WithLabelValues("ok").Inc()
	j.lastSuccess.SetToCurrentTime()
}

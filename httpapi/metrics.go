package httpapi

import (
	"strconv"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the public server's Prometheus metrics. Label values come from a closed
// set (route patterns, known grants, engine error codes), never from raw input, so a
// stranger cannot blow up their cardinality.
type Metrics struct {
	requests *prometheus.HistogramVec
	tokens   *prometheus.CounterVec
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jeton_http_request_duration_seconds",
			Help:    "Public HTTP requests by route pattern and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"route", "status"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jeton_token_requests_total",
			Help: "Token, introspection and revocation requests by dialect, grant type (or the operation) and outcome (ok or the error code).",
		}, []string{"dialect", "grant", "outcome"}),
	}
	reg.MustRegister(m.requests, m.tokens)
	return m
}

func (m *Metrics) observe(pattern string, status int, info *reqlog.Info, elapsed time.Duration) {
	if m == nil {
		return
	}
	if pattern == "" {
		pattern = "unmatched"
	}
	m.requests.WithLabelValues(pattern, strconv.Itoa(status)).Observe(elapsed.Seconds())
	if info.Dialect == "" {
		return
	}
	outcome := "ok"
	if info.Err != nil {
		outcome = string(jeton.AsError(info.Err).Code)
	}
	m.tokens.WithLabelValues(info.Dialect, knownGrant(info.Grant), outcome).Inc()
}

// knownGrant is the grant label: one of jeton.Grants, an operation, or "other".
func knownGrant(g string) string {
	if jeton.KnownGrant(g) || g == reqlog.OpIntrospection || g == reqlog.OpRevocation {
		return g
	}
	return "other"
}

package httpapi

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus metrics of the public listener and the vendors' own
// listeners (one Metrics serves them all, so their series add up). Label values come
// from closed sets only: route labels from the mounted patterns (routes.go), dialects
// from the mounted dialects' names, grants from jeton.Grants, outcomes from
// jeton.Codes, statuses from the codes jeton writes; anything else is "other". A
// stranger's paths, grant types or headers cannot add a series.
type Metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	tokenDuration *prometheus.HistogramVec
	issued        *prometheus.CounterVec

	mu       sync.Mutex
	dialects atomic.Pointer[map[string]bool] // copied on write: read on every request
	// series are the children of the vectors for each label set seen, so that a
	// request does one lock-free map lookup instead of hashing its labels into each
	// vector (under its lock). Copied on write; label sets are few (closed sets).
	series atomic.Pointer[map[seriesKey]*series]
}

// seriesKey is one request's labels.
type seriesKey struct {
	route, dialect, grant, outcome string
	status                         int
}

// series are one label set's children.
type series struct {
	requests      prometheus.Counter
	duration      prometheus.Observer
	tokenDuration prometheus.Observer   // nil without a dialect
	issued        [4]prometheus.Counter // by tokenKinds; nil for kinds never issued
}

// durationBuckets span a cached client_credentials request (under a millisecond) to a
// password grant queued behind argon2id.
var durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jeton_http_requests_total",
			Help: "Public requests by route, dialect, grant (or operation), outcome (ok, an error code, http_error) and status.",
		}, []string{"route", "dialect", "grant", "outcome", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jeton_http_request_duration_seconds",
			Help:    "Public requests by route, from the first byte read to the answer written.",
			Buckets: durationBuckets,
		}, []string{"route"}),
		tokenDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jeton_token_request_duration_seconds",
			Help:    "Requests a dialect handled (token, introspection, revocation, sign-in pages) by dialect and grant (or operation).",
			Buckets: durationBuckets,
		}, []string{"dialect", "grant"}),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jeton_tokens_issued_total",
			Help: "Tokens sent in successful answers by dialect, grant and kind (access_jwt, access_opaque, refresh, id_token).",
		}, []string{"dialect", "grant", "kind"}),
	}
	m.dialects.Store(&map[string]bool{})
	m.series.Store(&map[seriesKey]*series{})
	reg.MustRegister(m.requests, m.duration, m.tokenDuration, m.issued)
	return m
}

// knowDialect adds a mounted dialect's name to the dialect label's values.
func (m *Metrics) knowDialect(name string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.dialects.Load()
	if old[name] {
		return
	}
	next := make(map[string]bool, len(old)+1)
	for k := range old {
		next[k] = true
	}
	next[name] = true
	m.dialects.Store(&next)
}

func (m *Metrics) observe(route string, status int, info *reqlog.Info, elapsed time.Duration) {
	if m == nil {
		return
	}
	secs := elapsed.Seconds()
	k := seriesKey{route: route, dialect: "none", grant: "none", outcome: outcome(info.Err, status), status: knownStatus(status)}
	if info.Dialect != "" {
		k.dialect, k.grant = m.dialect(info.Dialect), knownGrant(info.Grant)
	}
	s := m.seriesOf(k, info.Issued)
	s.requests.Inc()
	s.duration.Observe(secs)
	if s.tokenDuration == nil {
		return
	}
	s.tokenDuration.Observe(secs)
	for i, tk := range tokenKinds {
		if info.Issued&tk.bit != 0 {
			s.issued[i].Inc()
		}
	}
}

// seriesOf returns k's children, making them (and those of the token kinds in issued
// that it lacks) on first use.
func (m *Metrics) seriesOf(k seriesKey, issued reqlog.Tokens) *series {
	if s, ok := (*m.series.Load())[k]; ok && s.covers(issued) {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.series.Load()
	s := &series{}
	if prev, ok := old[k]; ok {
		*s = *prev
	} else {
		s.requests = m.requests.WithLabelValues(k.route, k.dialect, k.grant, k.outcome, statusLabel(k.status))
		s.duration = m.duration.WithLabelValues(k.route)
		if k.dialect != "none" {
			s.tokenDuration = m.tokenDuration.WithLabelValues(k.dialect, k.grant)
		}
	}
	if s.tokenDuration != nil {
		for i, tk := range tokenKinds {
			if issued&tk.bit != 0 && s.issued[i] == nil {
				s.issued[i] = m.issued.WithLabelValues(k.dialect, k.grant, tk.label)
			}
		}
	}
	next := make(map[seriesKey]*series, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = s
	m.series.Store(&next)
	return s
}

// covers reports whether s has a counter for every token kind in issued.
func (s *series) covers(issued reqlog.Tokens) bool {
	if s.tokenDuration == nil {
		return true
	}
	for i, tk := range tokenKinds {
		if issued&tk.bit != 0 && s.issued[i] == nil {
			return false
		}
	}
	return true
}

var tokenKinds = []struct {
	bit   reqlog.Tokens
	label string
}{
	{reqlog.TokenAccessJWT, "access_jwt"}, {reqlog.TokenAccessOpaque, "access_opaque"},
	{reqlog.TokenRefresh, "refresh"}, {reqlog.TokenID, "id_token"},
}

// dialect is the dialect label: a mounted dialect's name, or "other".
func (m *Metrics) dialect(d string) string {
	if (*m.dialects.Load())[d] {
		return d
	}
	return "other"
}

// knownGrant is the grant label: one of jeton.Grants, an operation, "none" for none,
// or "other".
func knownGrant(g string) string {
	switch {
	case g == "":
		return "none"
	case jeton.KnownGrant(g) || g == reqlog.OpIntrospection || g == reqlog.OpRevocation || g == reqlog.OpPAR:
		return g
	}
	return "other"
}

// codes are the outcome label's error values: every engine code, and 499's.
var codes = func() map[jeton.Code]bool {
	m := map[jeton.Code]bool{CodeClientClosed: true}
	for _, c := range jeton.Codes {
		m[c] = true
	}
	return m
}()

// outcome is "ok", the request's error code, or "http_error" for an error status
// written without one (an unmatched route, a refused method outside a dialect).
func outcome(err error, status int) string {
	switch {
	case err != nil:
		if c := jeton.AsError(err).Code; codes[c] {
			return string(c)
		}
		return "other"
	case status >= 400:
		return "http_error"
	}
	return "ok"
}

// statusLabels are the status label of every status a handler can write, made once
// so that a request formats none.
var statusLabels = func() (s [600]string) {
	for i := 100; i < len(s); i++ {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

// knownStatus is status as labelled: 200 for nothing written (net/http answers 200),
// 0 ("other") outside 100-599.
func knownStatus(status int) int {
	switch {
	case status == 0:
		return 200
	case status < 100 || status >= len(statusLabels):
		return 0
	}
	return status
}

func statusLabel(status int) string {
	if status = knownStatus(status); status == 0 {
		return "other"
	}
	return statusLabels[status]
}

package metrics

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jeton/jeton"
)

// StoreHook is the storeobs.Hook that times every store call by op (the store
// method's name) and counts its errors by kind. A call costs two clock readings, a
// histogram observation and a map lookup; it allocates nothing (its per-call state is
// pooled), so it can stay on in production.
type StoreHook struct {
	duration *prometheus.HistogramVec
	errs     *prometheus.CounterVec
	ops      sync.Map // op → *opMetrics
	calls    sync.Pool
}

type opMetrics struct {
	name     string
	duration prometheus.Observer
}

// storeBuckets span a cached-page SQLite read (tens of µs) to a slow PostgreSQL
// transaction.
var storeBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}

func newStoreHook(reg prometheus.Registerer) *StoreHook {
	h := &StoreHook{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jeton_store_call_duration_seconds",
			Help:    "Store calls by op (the jeton.Store or vendor store method), errors included.",
			Buckets: storeBuckets,
		}, []string{"op"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jeton_store_call_errors_total",
			Help: "Store calls that returned an error, by op and error (not_found, conflict, already_used, wrong_client, canceled, other).",
		}, []string{"op", "error"}),
	}
	h.calls.New = func() any {
		c := &call{hook: h}
		c.end = c.finish // bound once: handing it out allocates nothing
		return c
	}
	reg.MustRegister(h.duration, h.errs)
	return h
}

// call is one store call in flight.
type call struct {
	hook  *StoreHook
	op    *opMetrics
	start time.Time
	end   func(error)
}

// Begin implements storeobs.Hook. The returned func must be called once.
func (h *StoreHook) Begin(ctx context.Context, op string) (context.Context, func(error)) {
	c := h.calls.Get().(*call)
	c.op, c.start = h.op(op), time.Now()
	return ctx, c.end
}

func (c *call) finish(err error) {
	c.op.duration.Observe(time.Since(c.start).Seconds())
	if err != nil {
		c.hook.errs.WithLabelValues(c.op.name, errorKind(err)).Inc()
	}
	h := c.hook
	c.op = nil
	h.calls.Put(c)
}

// op returns the metrics of one op; ops are store method names, a closed set.
func (h *StoreHook) op(name string) *opMetrics {
	if m, ok := h.ops.Load(name); ok {
		return m.(*opMetrics)
	}
	m, _ := h.ops.LoadOrStore(name, &opMetrics{name: name, duration: h.duration.WithLabelValues(name)})
	return m.(*opMetrics)
}

// errorKind sorts a store error into the store contract's kinds (store.go).
func errorKind(err error) string {
	switch {
	case errors.Is(err, jeton.ErrNotFound):
		return "not_found"
	case errors.Is(err, jeton.ErrConflict):
		return "conflict"
	case errors.Is(err, jeton.ErrAlreadyUsed):
		return "already_used"
	case errors.Is(err, jeton.ErrWrongClient):
		return "wrong_client"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "other"
}

package console

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestActivityCountsPerMinute samples a real registry holding the token counter and
// books each sample's growth on its minute, leaving introspection out.
func TestActivityCountsPerMinute(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: tokenCounter, Help: "h"}, []string{"dialect", "grant", "outcome"})
	reg.MustRegister(c)
	now := time.Date(2031, 1, 1, 12, 0, 5, 0, time.UTC)
	a := NewActivity(reg, func() time.Time { return now })
	c.WithLabelValues("oauth2", "client_credentials", "ok").Add(7) // before the baseline: not counted
	a.Sample()
	c.WithLabelValues("oauth2", "client_credentials", "ok").Add(2)
	c.WithLabelValues("oauth2", "password", "ok").Add(1)
	c.WithLabelValues("oauth2", "introspection", "ok").Add(50)
	c.WithLabelValues("cardcore", "client_credentials", "invalid_client").Add(3)
	a.Sample()
	now = now.Add(time.Minute)
	c.WithLabelValues("oauth2", "client_credentials", "ok").Add(4)
	a.Sample()
	got := map[string][]float64{}
	for _, s := range a.Snapshot() {
		got[s.Name] = s.Counts[window-2:]
	}
	if ok := got["oauth2 ok"]; len(ok) != 2 || ok[0] != 3 || ok[1] != 4 {
		t.Errorf("oauth2 ok per minute: %v, want [3 4]", ok)
	}
	if bad := got["cardcore invalid_client"]; len(bad) != 2 || bad[0] != 3 || bad[1] != 0 {
		t.Errorf("cardcore invalid_client: %v, want [3 0]", bad)
	}
	if len(got) != 2 {
		t.Errorf("series %v: introspection must not count", got)
	}
	// An hour later everything has aged out.
	now = now.Add(time.Hour)
	a.Sample()
	if s := a.Snapshot(); len(s) != 0 {
		t.Errorf("after an hour: %v", s)
	}
	if svg := string(ChartSVG(nil)); svg == "" {
		t.Error("empty chart")
	}
}

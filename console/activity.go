package console

import (
	"context"
	"fmt"
	"github.com/jeton/jeton"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The activity chart adds nothing to the request path: a sampler reads the registry
// serve already exports (/metrics) every SampleEvery and keeps, per minute, how much
// the token-request counter grew, for an hour.

// SampleEvery is how often the activity sampler reads the registry.
const SampleEvery = 10 * time.Second

const (
	tokenCounter = "jeton_http_requests_total"
	window       = 60 // minutes kept
)

// Activity keeps per-minute token-request counts by dialect and outcome.
type Activity struct {
	g   prometheus.Gatherer
	now func() time.Time

	mu      sync.Mutex
	last    map[string]float64           // counter value per series at the last sample
	minutes map[int64]map[string]float64 // minute (Unix/60) -> series -> requests
}

// NewActivity samples g; call Run to keep sampling.
func NewActivity(g prometheus.Gatherer, now func() time.Time) *Activity {
	if now == nil {
		now = time.Now
	}
	return &Activity{g: g, now: now, minutes: map[int64]map[string]float64{}}
}

// Run samples every SampleEvery until ctx ends.
func (a *Activity) Run(ctx context.Context) {
	t := time.NewTicker(SampleEvery)
	defer t.Stop()
	for {
		a.Sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sample reads the counter once and books its growth since the last sample on the
// current minute. The first sample only sets the baseline.
func (a *Activity) Sample() {
	totals := tokenTotals(a.g)
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	minute := now.Unix() / 60
	if a.last != nil {
		for k, v := range totals {
			d := v - a.last[k]
			if d < 0 { // the counter was reset (a new registry): count from zero
				d = v
			}
			if d > 0 {
				if a.minutes[minute] == nil {
					a.minutes[minute] = map[string]float64{}
				}
				a.minutes[minute][k] += d
			}
		}
	}
	a.last = totals
	for m := range a.minutes {
		if m <= minute-window {
			delete(a.minutes, m)
		}
	}
}

// tokenTotals reads the request counter's token requests (a grant label that is a
// grant type, or "other" for an unknown grant_type), summed over routes, grants and
// statuses, by "dialect outcome"; introspection, revocation, PAR and the sign-in pages
// are not token requests and are left out. This is the one function that knows the
// metric's name and labels.
func tokenTotals(g prometheus.Gatherer) map[string]float64 {
	out := map[string]float64{}
	mfs, err := g.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		if mf.GetName() != tokenCounter {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := labels(m)
			if g := l["grant"]; !jeton.KnownGrant(g) && g != "other" {
				continue
			}
			out[l["dialect"]+" "+l["outcome"]] += m.GetCounter().GetValue()
		}
	}
	return out
}

func labels(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

// Series is one line of the chart: a dialect and outcome, its count per minute
// (oldest first) and its total.
type Series struct {
	Name   string
	Counts []float64
	Total  float64
}

// Snapshot returns every series of the last hour, ending at the current minute.
func (a *Activity) Snapshot() []Series {
	a.mu.Lock()
	defer a.mu.Unlock()
	end := a.now().Unix() / 60
	byName := map[string]*Series{}
	for m, counts := range a.minutes {
		i := int(m - (end - window + 1))
		if i < 0 || i >= window {
			continue
		}
		for k, v := range counts {
			s := byName[k]
			if s == nil {
				s = &Series{Name: k, Counts: make([]float64, window)}
				byName[k] = s
			}
			s.Counts[i] += v
			s.Total += v
		}
	}
	out := make([]Series, 0, len(byName))
	for _, s := range byName {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Series) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// palette has colours with at least 3:1 contrast on white (WCAG 1.4.11).
var palette = []string{"#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#b45309", "#0e7490", "#be185d", "#4d7c0f"}

// ChartSVG draws the series as an inline SVG, server-side: one polyline per series on
// a 60-minute axis, scaled to the busiest minute, with a legend.
func ChartSVG(series []Series) template.HTML {
	const w, h, left, bottom, top = 720, 240, 48, 24, 12
	peak := 1.0
	for _, s := range series {
		peak = max(peak, slices.Max(s.Counts))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title" class="chart" xmlns="http://www.w3.org/2000/svg">`, w, h)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title>`, template.HTMLEscapeString(T("activity.caption")))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#374151"/>`, left, h-bottom, w, h-bottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#374151"/>`, left, top, left, h-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#111827">%g</text>`, left-4, top+10, peak)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#111827">0</text>`, left-4, h-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#111827">-60 min</text>`, left, h-4)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#111827">now</text>`, w, h-4)
	for i, s := range series {
		var pts strings.Builder
		for j, c := range s.Counts {
			x := left + float64(j)*float64(w-left)/float64(window-1)
			y := float64(h-bottom) - c/peak*float64(h-bottom-top)
			fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke-width="2" stroke="%s" points="%s"/>`, palette[i%len(palette)], strings.TrimSpace(pts.String()))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type activityData struct {
	Off    bool
	Chart  template.HTML
	Series []Series
	Colors []string
}

// Colour is the line colour of the i-th series.
func (d activityData) Colour(i int) template.CSS { return template.CSS(palette[i%len(palette)]) }

func (s *Server) activityData() activityData {
	if s.cfg.Activity == nil {
		return activityData{Off: true}
	}
	series := s.cfg.Activity.Snapshot()
	return activityData{Chart: ChartSVG(series), Series: series}
}

// The activity counts are the whole server's, every institution's traffic: operators
// only.
func (s *Server) activityPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.Operator() {
		s.notFound(w, r, v)
		return
	}
	s.render(w, r, http.StatusOK, "activity", v, s.activityData())
}

// activityChart is the chart alone, which console.js swaps in every SampleEvery.
func (s *Server) activityChart(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.Operator() {
		s.notFound(w, r, v)
		return
	}
	var buf strings.Builder
	if err := s.pages["activity"].ExecuteTemplate(&buf, "chart", s.activityData()); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(buf.String()))
}

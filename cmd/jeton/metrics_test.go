package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/postgres/pgtest"
)

// registered lists every metric family a wired server registered (series or not), with
// its type where a series shows it.
func registered(t *testing.T, s *liveServer) map[string]string {
	t.Helper()
	out := map[string]string{}
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for _, c := range s.app.reg.Collectors() {
		ch := make(chan *prometheus.Desc)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			m := fq.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("cannot read the name of %s", d)
			}
			out[m[1]] = ""
		}
	}
	fams, err := s.app.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		out[f.GetName()] = f.GetType().String()
	}
	return out
}

// Every query of the Grafana dashboard names only metrics a fully wired server
// registers (histograms through their _bucket, _sum and _count series).
func TestDashboardQueriesNameRegisteredMetrics(t *testing.T) {
	s := startServer(t)
	c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", c.ClientID, c.ClientSecret)
	postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", "nobody", "x")
	have := registered(t, s)

	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	b, err := os.ReadFile("../../docs/grafana/jeton.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("docs/grafana/jeton.json: %v", err)
	}
	queries := 0
	used := map[string]bool{}
	check := func(where, expr string) {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", where, expr)
		}
		for _, n := range names {
			used[n] = true
			if !isRegistered(have, n) {
				t.Errorf("%s: %s is not registered by jeton (%q)", where, n, expr)
			}
		}
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			queries++
			check("panel "+p.Title, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		// Grafana's label_values(metric, label) is not PromQL: its first argument is.
		if m := regexp.MustCompile(`^label_values\(([^,]+),`).FindStringSubmatch(v.Definition); m != nil {
			check("variable", m[1])
		} else if v.Definition != "" {
			check("variable", v.Definition)
		}
	}
	if queries < 20 {
		t.Errorf("only %d queries in the dashboard", queries)
	}
	// Every family jeton registers has a panel.
	for name := range have {
		if strings.HasPrefix(name, "jeton_") && !used[name] && !used[name+"_bucket"] && !used[name+"_count"] {
			t.Errorf("%s has no panel on the dashboard", name)
		}
	}
}

// isRegistered reports whether the series name belongs to a registered family.
func isRegistered(have map[string]string, name string) bool {
	if _, ok := have[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		typ, ok := have[base]
		return ok && (typ == "" || typ == dto.MetricType_HISTOGRAM.String() || (suffix != "_bucket" && typ == dto.MetricType_SUMMARY.String()))
	}
	return false
}

// promKeywords are PromQL's words that are neither functions nor metrics.
var promKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
	"group_right": true, "and": true, "or": true, "unless": true, "bool": true, "offset": true}

// metricNames returns the metric names a PromQL expression selects: identifiers that
// are not functions, keywords, label names (in braces or after by/without) or
// numbers.
func metricNames(expr string) []string {
	e := regexp.MustCompile(`"(?:[^"\\]|\\.)*"`).ReplaceAllString(expr, " ") // strings first: they may hold braces
	e = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`).ReplaceAllString(e, " ")
	grouping := regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	e = grouping.ReplaceAllString(e, " ")
	var names []string
	for _, m := range regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*\s*\(?`).FindAllString(e, -1) {
		if strings.HasSuffix(m, "(") { // a function
			continue
		}
		if id := strings.TrimSpace(m); !promKeywords[id] {
			names = append(names, id)
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`histogram_quantile(0.99, sum by (le, grant) (rate(jeton_x_bucket{a="b{c}",d=~"$e"}[$__rate_interval]))) / on (i) group_left time() - jeton_y`)
	if want := []string{"jeton_x_bucket", "jeton_y"}; !slices.Equal(got, want) {
		t.Errorf("metricNames = %v, want %v", got, want)
	}
}

// The Monitoring section of docs/operations.md lists exactly the metrics jeton
// registers.
func TestOperationsDocListsEveryMetric(t *testing.T) {
	s := startServer(t)
	have := registered(t, s)
	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("\\| `(jeton_[a-z0-9_]+)`").FindAllStringSubmatch(doc, -1) {
		documented[m[1]] = true
	}
	for name := range have {
		if strings.HasPrefix(name, "jeton_") && !documented[name] {
			t.Errorf("%s is registered but not in the metrics table of docs/operations.md", name)
		}
	}
	for name := range documented {
		if _, ok := have[name]; !ok {
			t.Errorf("docs/operations.md lists %s, which jeton does not register", name)
		}
	}
}

// hostileVendor is a vendor module's part of TestMetricSeriesStayBounded, added by the
// vendor's own test file in this package: serve flags, and requests with hostile
// values (rnd makes a fresh one each call) to its endpoints on the public listener
// (pub, a base URL) and its own.
type hostileVendor struct {
	args     []string
	requests func(t *testing.T, s *liveServer, pub string, rnd func() string) []*http.Request
}

var hostileVendors []hostileVendor

// hostileMark starts every hostile value, so that a label holding one is easy to find.
const hostileMark = "zqx"

// Requests full of values a stranger chooses (paths, grant types, client ids, dialect
// headers, request ids) add no series: a second round with fresh values leaves every
// jeton metric with the series count the first round left, and no label holds any of
// them.
func TestMetricSeriesStayBounded(t *testing.T) {
	args := []string{"--ratelimit-failed-auth-address", "0", "--ratelimit-failed-auth-client", "0"}
	for _, v := range hostileVendors {
		args = append(args, v.args...)
	}
	s := startServer(t, args...)
	pub := s.public
	rnd := func() string { return hostileMark + jeton.NewID()[:12] }
	round := func() {
		reqs := coreHostile(t, pub, rnd)
		for _, v := range hostileVendors {
			reqs = append(reqs, v.requests(t, s, pub, rnd)...)
		}
		for _, r := range reqs {
			r.Header.Set("X-Request-Id", rnd())
			r.Header.Set("X-Forwarded-For", "203.0.113."+fmt.Sprint(len(r.URL.Path)%200))
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	for range 2 { // the first rounds make every shape of request once
		round()
	}
	first := seriesCounts(t, s)
	for range 3 {
		round()
	}
	second := seriesCounts(t, s)
	total := 0
	for name, n := range second {
		total += n
		if n != first[name] {
			t.Errorf("%s: %d series after more hostile requests, %d before", name, n, first[name])
		}
	}
	if total > 5000 {
		t.Errorf("%d jeton series", total)
	}
	fams, _ := s.app.reg.Gather()
	lines := 0 // time series as Prometheus stores them: a histogram is buckets, +Inf, sum and count
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			if strings.HasPrefix(f.GetName(), "jeton_") {
				lines++
				if h := m.GetHistogram(); h != nil {
					lines += len(h.GetBucket()) + 2
				}
			}
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), hostileMark) {
					t.Errorf("%s{%s=%q}: a stranger's value became a label", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
	t.Logf("%d jeton label sets (%d time series) after %d hostile rounds", total, lines, 5)
}

// coreHostile are hostile requests to the core's endpoints.
func coreHostile(t *testing.T, pub string, rnd func() string) []*http.Request {
	form := func(path, body string) *http.Request {
		r, err := http.NewRequest(http.MethodPost, pub+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	get := func(path string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, pub+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	return []*http.Request{
		get("/" + rnd()),
		get("/oauth2/" + rnd() + "/" + rnd()),
		form("/"+rnd(), "grant_type="+rnd()),
		form("/oauth2/token", "grant_type="+rnd()+"&client_id="+rnd()+"&client_secret="+rnd()),
		form("/oauth2/token", "grant_type=client_credentials&client_id="+rnd()+"&client_secret="+rnd()),
		form("/oauth2/token", "grant_type=refresh_token&refresh_token="+rnd()+"&client_id="+rnd()+"&client_secret="+rnd()),
		form("/oauth2/token", "grant_type=urn:ietf:params:oauth:grant-type:"+rnd()),
		get("/oauth2/token?grant_type=" + rnd()),
		form("/oauth2/introspect", "token="+rnd()+"&client_id="+rnd()+"&client_secret="+rnd()),
		form("/oauth2/revoke", "token="+rnd()+"&client_id="+rnd()+"&client_secret="+rnd()),
		form("/oauth2/par", "client_id="+rnd()+"&client_secret="+rnd()+"&response_type=code"),
		get("/oauth2/authorize?client_id=" + rnd() + "&request_uri=urn:ietf:params:oauth:request_uri:" + rnd()),
		get("/oauth2/userinfo"),
		get("/.well-known/" + rnd()),
	}
}

// hostileRequest is one request of a vendor's part of TestMetricSeriesStayBounded.
func hostileRequest(t *testing.T, method, url, ctype, body string, headers ...string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

// seriesCounts is the number of series of every jeton metric family.
func seriesCounts(t *testing.T, s *liveServer) map[string]int {
	t.Helper()
	fams, err := s.app.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, f := range fams {
		if strings.HasPrefix(f.GetName(), "jeton_") {
			out[f.GetName()] = len(f.GetMetric())
		}
	}
	return out
}

// A wired server counts what its parts report: tokens issued by kind, store calls by
// op, and the security events of every component handed the one observer list
// (client disabled, key rotated by an admin, rate limit tripped).
func TestMetricsOfAWiredServer(t *testing.T) {
	s := startServer(t, "--ratelimit-failed-auth-client", "1", "--ratelimit-failed-auth-client-burst", "2")
	ctx := context.Background()
	c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	if st, body := postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", c.ClientID, c.ClientSecret); st != 200 {
		t.Fatalf("token: %d %s", st, body)
	}
	for range 4 { // two failures empty the bucket; then refused before authentication
		postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", c.ClientID, "wrong")
	}
	if _, err := s.admin.DisableClient(ctx, c.ClientID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.admin.RotateKey(ctx, "ES256"); err != nil {
		t.Fatal(err)
	}
	text := scrape(t, s)
	for _, want := range []string{
		`jeton_tokens_issued_total{dialect="oauth2",grant="client_credentials",kind="access_jwt"} 1`,
		`jeton_http_requests_total{dialect="oauth2",grant="client_credentials",outcome="ok",route="oauth2:/oauth2/token",status="200"} 1`,
		`jeton_security_events_total{kind="client.disabled",reason="none"} 1`,
		`jeton_security_events_total{kind="key.rotated",reason="admin"} 1`,
		`jeton_security_events_total{kind="ratelimit.tripped",reason="failed_auth_client"} 2`,
		`jeton_store_call_duration_seconds_count{op="AddSigningKeyAudited"} 1`,
		`jeton_cache_requests_total{cache="client",result="hit"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, c.ClientID) {
		t.Error("a client id is a label")
	}
}

// scrape reads /metrics from the admin listener, as Prometheus would.
func scrape(t *testing.T, s *liveServer) string {
	t.Helper()
	resp, err := http.Get(s.adminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	lines := strings.Split(string(b), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// On PostgreSQL every change-notification connection reports that it listens, and a
// change made through the admin API arrives as an invalidation (the same replica's
// NOTIFY: every replica hears every change).
func TestListenMetricsOnPostgreSQL(t *testing.T) {
	s := startServer(t, "--database", pgtest.NewDatabase(t), "--migrate")
	c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	if _, err := s.admin.DisableClient(context.Background(), c.ClientID); err != nil {
		t.Fatal(err)
	}
	want := []string{`jeton_listen_up{cache="calendar"} 1`, `jeton_listen_up{cache="client"} 1`, `jeton_listen_up{cache="signing_key"} 1`}
	deadline := time.Now().Add(10 * time.Second)
	for {
		text := scrape(t, s)
		missing := ""
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = w
			}
		}
		received := regexp.MustCompile(`jeton_cache_invalidations_received_total\{cache="client"\} ([0-9]+)`).FindStringSubmatch(text)
		if missing == "" && received != nil && received[1] != "0" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: missing %q or no client invalidation (%v) in\n%s", missing, received, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

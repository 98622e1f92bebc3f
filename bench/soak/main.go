// Command soak drives a running jeton with a mix of every dialect's requests
// (bench/soak.sh starts jeton and makes the clients): first a short closed-loop run to
// measure capacity, then a constant arrival rate at a fraction of it for the soak's
// duration, sampling the server's RSS, goroutines and database size. Every answer
// that is not the expected success is classified and counted; any makes it exit 1.
// Latency is measured from each request's scheduled time, so a stalled server shows
// as latency rather than as fewer requests (as wrk2 does).
package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	var (
		setupFile   = flag.String("setup", "", "soak.json written by bench/soak.sh")
		pid         = flag.Int("pid", 0, "server process id (RSS from /proc)")
		metrics     = flag.String("metrics", "", "admin /metrics URL (go_goroutines)")
		db          = flag.String("db", "", "SQLite database file of the server")
		conns       = flag.Int("conns", 32, "concurrent requests of the capacity run")
		warmup      = flag.Duration("warmup", 5*time.Second, "closed-loop warm-up before the capacity run")
		capDur      = flag.Duration("capacity", 15*time.Second, "closed-loop capacity run")
		load        = flag.Float64("load", 0.7, "soak rate as a fraction of the measured capacity")
		rate        = flag.Float64("rate", 0, "soak rate in requests/s (overrides -load; skips the capacity run)")
		duration    = flag.Duration("duration", 10*time.Minute, "soak duration")
		every       = flag.Duration("sample", 30*time.Second, "sampling interval")
		maxInFlight = flag.Int("max-in-flight", 512, "most requests in flight at once during the soak")
		maxConns    = flag.Int("max-conns", 64, "most connections to the server (requests beyond wait for one)")
	)
	flag.Parse()
	if err := run(config{*setupFile, *pid, *metrics, *db, *conns, *warmup, *capDur, *load, *rate, *duration, *every, *maxInFlight, *maxConns}); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type config struct {
	setup                 string
	pid                   int
	metrics, db           string
	conns                 int
	warmup, capacity      time.Duration
	load, rate            float64
	duration, every       time.Duration
	maxInFlight, maxConns int
}

var errUnexpected = errors.New("unexpected answers during the soak (see above)")

func run(c config) error {
	t, err := newTraffic(c)
	if err != nil {
		return err
	}
	p := probe{pid: c.pid, metrics: c.metrics, db: c.db, http: &http.Client{Timeout: 5 * time.Second}}
	if _, err := p.take(); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	if err := t.check(); err != nil {
		return err
	}
	rate := c.rate
	if rate <= 0 {
		closedLoop(t, c.conns, c.warmup, newStats())
		st := newStats()
		elapsed := closedLoop(t, c.conns, c.capacity, st)
		capacity := float64(st.total.Load()) / elapsed.Seconds()
		fmt.Printf("capacity: %.0f req/s (closed loop, %d concurrent requests, %v, after a %v warm-up; %d unexpected)\n",
			capacity, c.conns, c.capacity, c.warmup, st.unexpected.Load())
		rate = capacity * c.load
	}
	fmt.Printf("soak: %.0f req/s constant arrival rate for %v (%.0f%% of capacity), sampling every %v\n",
		rate, c.duration, c.load*100, c.every)
	st := newStats()
	samples := soak(t, p, st, rate, c)
	return report(st, samples, rate, c.duration)
}

func newTraffic(c config) (*traffic, error) {
	b, err := os.ReadFile(c.setup)
	if err != nil {
		return nil, err
	}
	t := &traffic{http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxConnsPerHost: c.maxConns, MaxIdleConns: c.maxConns, MaxIdleConnsPerHost: c.maxConns}}}
	if err := json.Unmarshal(b, &t.s); err != nil {
		return nil, fmt.Errorf("%s: %w", c.setup, err)
	}
	if len(t.s.Usernames) == 0 {
		return nil, fmt.Errorf("%s: no customers", c.setup)
	}
	t.rts = make(chan string, maxPool)
	t.users = make(chan string, len(t.s.Usernames))
	for _, u := range t.s.Usernames {
		t.users <- u
	}
	t.cdAud = t.s.Base + "/cardcore/institutions/oauth/token"
	if t.key, err = loadKey(t.s.CardCore.KeyFile); err != nil {
		return nil, err
	}
	return t, nil
}

// loadKey reads the CardCore application's private key (PKCS #8 or SEC 1 PEM).
func loadKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	return x509.ParseECPrivateKey(block.Bytes)
}

// check sends one request of every kind and fails on any unexpected answer, so a
// setup mistake stops the run at once. First it signs the customers in until the
// refresh kind has its sessions to rotate.
func (t *traffic) check() error {
	for range maxPool {
		if o := t.keepSession(); !o.ok {
			return fmt.Errorf("signing the customers in: %s", o.class)
		}
	}
	for _, k := range kinds {
		if o := k.do(t); !o.ok {
			return fmt.Errorf("first %s request: %s", k.name, o.class)
		}
	}
	return nil
}

// stats counts answers per kind, their latencies and the unexpected ones by class.
type stats struct {
	total, unexpected atomic.Int64
	mu                sync.Mutex
	latency           map[string][]time.Duration
	classes           map[string]int64
}

func newStats() *stats {
	return &stats{latency: map[string][]time.Duration{}, classes: map[string]int64{}}
}

func (s *stats) record(k string, o outcome, d time.Duration) {
	s.total.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[k] = append(s.latency[k], d)
	if !o.ok {
		s.unexpected.Add(1)
		s.classes[k+": "+o.class]++
	}
}

var totalWeight = func() int {
	n := 0
	for _, k := range kinds {
		n += k.weight
	}
	return n
}()

// pick draws a kind by weight.
func pick() kind {
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(totalWeight)))
	r := int(n.Int64())
	for _, k := range kinds {
		if r < k.weight {
			return k
		}
		r -= k.weight
	}
	return kinds[len(kinds)-1]
}

// closedLoop runs conns workers back to back for d and returns the time it took.
func closedLoop(t *traffic, conns int, d time.Duration, st *stats) time.Duration {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				k, t0 := pick(), time.Now()
				st.record(k.name, k.do(t), time.Since(t0))
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// soak sends requests at rate for c.duration: request i is due at start + i/rate and
// its latency counts from then. At most c.maxInFlight are in flight; beyond that the
// schedule waits (and the waiting shows in the latencies).
func soak(t *traffic, p probe, st *stats, rate float64, c config) []sample {
	var samples []sample
	takeSample := func() {
		s, err := p.take()
		if err != nil {
			fmt.Fprintln(os.Stderr, "soak: probe:", err)
			return
		}
		s.requests, s.unexpected = st.total.Load(), st.unexpected.Load()
		samples = append(samples, s)
		fmt.Printf("  %7s  %s\n           rows: %s\n", s.at.Sub(samples[0].at).Round(time.Second), s, s.rowsString())
	}
	takeSample()
	start := time.Now()
	nextSample := start.Add(c.every)
	sem := make(chan struct{}, c.maxInFlight)
	var wg sync.WaitGroup
	for i := 0; ; i++ {
		due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if due.Sub(start) >= c.duration {
			break
		}
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if time.Now().After(nextSample) {
			takeSample()
			nextSample = nextSample.Add(c.every)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(due time.Time) {
			defer func() { <-sem; wg.Done() }()
			k := pick()
			st.record(k.name, k.do(t), time.Since(due))
		}(due)
	}
	wg.Wait()
	takeSample()
	return samples
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[int(p*float64(len(d)-1))]
}

func report(st *stats, samples []sample, rate float64, dur time.Duration) error {
	fmt.Println()
	names := make([]string, 0, len(st.latency))
	for n := range st.latency {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Printf("%-40s %9s %9s %9s %9s\n", "kind", "requests", "p50 ms", "p99 ms", "max ms")
	for _, n := range names {
		d := st.latency[n]
		slices.Sort(d)
		ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
		fmt.Printf("%-40s %9d %9.2f %9.2f %9.1f\n", n, len(d), ms(percentile(d, 0.5)), ms(percentile(d, 0.99)), ms(d[len(d)-1]))
	}
	total := st.total.Load()
	fmt.Printf("answered %d requests in %v (%.0f req/s; target %.0f)\n", total, dur, float64(total)/dur.Seconds(), rate)
	if len(samples) >= 2 {
		first, last := samples[0], samples[len(samples)-1]
		peak := first
		for _, s := range samples {
			if s.dbBytes+s.walBytes > peak.dbBytes+peak.walBytes {
				peak = s
			}
		}
		fmt.Printf("start: %s\n       rows: %s\nend:   %s\n       rows: %s\ndatabase and WAL peak %.2f MiB at +%v\n",
			first, first.rowsString(), last, last.rowsString(), float64(peak.dbBytes+peak.walBytes)/(1<<20), peak.at.Sub(first.at).Round(time.Second))
	}
	if st.unexpected.Load() == 0 {
		fmt.Println("unexpected answers: none")
		return nil
	}
	fmt.Println("unexpected answers, by kind and class:")
	classes := make([]string, 0, len(st.classes))
	for c := range st.classes {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		fmt.Printf("  %8d  %s\n", st.classes[c], c)
	}
	return errUnexpected
}

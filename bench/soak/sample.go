package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, to count the janitor's rows
)

// janitorTables are the tables whose rows expire and the janitor deletes
// (sqlite/housekeeping.go), counted at every sample.
var janitorTables = []string{"assertion_uses", "refresh_tokens", "refresh_families", "access_tokens", "revocations"}

// sample is the server's footprint at one moment.
type sample struct {
	at         time.Time
	rssKiB     int64 // VmRSS of the server process (/proc/PID/status)
	goroutines int64 // go_goroutines from the admin listener's /metrics
	dbBytes    int64 // the SQLite database file
	walBytes   int64 // its -wal and -shm files
	requests   int64 // answered so far in the soak
	unexpected int64
	rows       map[string]int64 // janitorTables' row counts
}

func (s sample) String() string {
	return fmt.Sprintf("RSS %6.1f MiB  goroutines %4d  database %6.2f MiB + WAL %6.2f MiB  requests %8d  unexpected %d",
		float64(s.rssKiB)/1024, s.goroutines, float64(s.dbBytes)/(1<<20), float64(s.walBytes)/(1<<20), s.requests, s.unexpected)
}

// rowsString is the row counts in janitorTables' order.
func (s sample) rowsString() string {
	var b strings.Builder
	for _, t := range janitorTables {
		fmt.Fprintf(&b, "  %s %d", t, s.rows[t])
	}
	return strings.TrimSpace(b.String())
}

// probe reads the footprint of the server pid, its /metrics and its database file.
type probe struct {
	pid     int
	metrics string
	db      string
	http    *http.Client
}

func (p probe) take() (sample, error) {
	s := sample{at: time.Now()}
	var err error
	if s.rssKiB, err = rssKiB(p.pid); err != nil {
		return s, err
	}
	if s.goroutines, err = p.goroutines(); err != nil {
		return s, err
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(p.db + suffix); err == nil && suffix == "" {
			s.dbBytes = fi.Size()
		} else if err == nil {
			s.walBytes += fi.Size()
		}
	}
	s.rows, err = countRows(p.db)
	return s, err
}

// countRows counts janitorTables over a read-only connection (WAL mode lets it read
// beside the server's writes).
func countRows(path string) (map[string]int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?"+url.Values{"mode": {"ro"}, "_pragma": {"busy_timeout(5000)"}}.Encode())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := map[string]int64{}
	for _, t := range janitorTables {
		var n int64
		if err := db.QueryRow("SELECT count(*) FROM " + t).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

// rssKiB is the resident set of pid (proc(5): VmRSS, in kB).
func rssKiB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// goroutines reads the Go collector's go_goroutines gauge (Prometheus text format).
func (p probe) goroutines() (int64, error) {
	resp, err := p.http.Get(p.metrics)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s has no go_goroutines", p.metrics)
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jeton/jeton/adminapi"
)

// tokenFrom posts a client_credentials request with Basic credentials, claiming to come
// from xff when it is set. It returns the status, Retry-After and the error code.
func tokenFrom(t *testing.T, hc *http.Client, base, id, secret, xff string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Error(err)
		return 0, "", ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body struct{ Error string }
	_ = json.Unmarshal(b, &body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), body.Error
}

// A spoofed X-Forwarded-For from a peer that is not a trusted proxy changes nothing:
// a new made-up address per request does not dodge the per-address budget of failed
// authentications, and the log shows the real peer. The same requests through a
// trusted proxy (positive control) are counted per forwarded address.
func TestSpoofedForwardedForCannotDodgeAddressLimit(t *testing.T) {
	limits := []string{"--ratelimit-failed-auth-address", "0.001", "--ratelimit-failed-auth-address-burst", "5",
		"--ratelimit-failed-auth-client", "0"}
	for _, tc := range []struct {
		name    string
		args    []string
		limited bool
	}{
		{"untrusted peer", []string{"--trusted-proxies", "10.0.0.0/8"}, true},
		{"trusted proxy", []string{"--trusted-proxies", "127.0.0.1/32"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, append(limits, tc.args...)...)
			c := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
			hc := &http.Client{}
			var refused int
			for i := 0; i < 20; i++ {
				st, retry, code := tokenFrom(t, hc, s.public, fmt.Sprintf("nobody-%d", i), "wrong", fmt.Sprintf("198.51.100.%d", i+1))
				switch {
				case st == http.StatusTooManyRequests && retry != "" && code == "slow_down":
					refused++
				case st != http.StatusUnauthorized:
					t.Fatalf("request %d: status %d %q", i, st, code)
				}
			}
			// The right secret, still spoofing: refused as well while the address's
			// failed budget is spent.
			st, _, _ := tokenFrom(t, hc, s.public, c.ClientID, c.ClientSecret, "203.0.113.99")
			if tc.limited {
				if refused != 15 || st != http.StatusTooManyRequests {
					t.Fatalf("%d of 20 wrong secrets refused (want 15 after the burst of 5); the right one got %d", refused, st)
				}
				if !strings.Contains(s.logs.String(), `"client_addr":"127.0.0.1"`) || strings.Contains(s.logs.String(), `"client_addr":"198.51.100.`) {
					t.Error("the log does not show the real peer as client_addr")
				}
			} else if refused != 0 || st != http.StatusOK {
				t.Fatalf("through a trusted proxy %d refused, right secret %d; want each forwarded address counted alone", refused, st)
			}
		})
	}
}

// A flood of 10,000 wrong secrets from one address gets 429s after its budget, while
// another client at another address keeps getting tokens throughout.
func TestWrongSecretFloodIsRefusedAndOthersServed(t *testing.T) {
	s := startServer(t, "--trusted-proxies", "127.0.0.1/32")
	victim := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	other := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const total, workers = 10000, 32
	var next, unauthorized, limited, bad atomic.Int64
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= total {
				switch st, retry, code := tokenFrom(t, hc, s.public, victim.ClientID, "wrong-secret", "203.0.113.66"); {
				case st == http.StatusUnauthorized:
					unauthorized.Add(1)
				case st == http.StatusTooManyRequests && retry != "" && code == "slow_down":
					limited.Add(1)
				default:
					bad.Add(1)
				}
			}
		}()
	}
	var served, refused int
	go func() { wg.Wait(); close(done) }()
	for probing := true; probing; {
		select {
		case <-done:
			probing = false
		default:
		}
		st, _, code := tokenFrom(t, hc, s.public, other.ClientID, other.ClientSecret, "198.51.100.20")
		if st == http.StatusOK {
			served++
		} else {
			refused++
			t.Errorf("the other client got %d %q during the flood", st, code)
		}
	}
	elapsed := time.Since(start)
	// Budget: burst 100 plus 10/s, and up to one check per worker in flight.
	maxFailures := int64(100 + 10*elapsed.Seconds() + workers + 1)
	t.Logf("flood of %d in %v: %d answered 401, %d 429; other client served %d times", total, elapsed, unauthorized.Load(), limited.Load(), served)
	if bad.Load() != 0 || unauthorized.Load()+limited.Load() != total {
		t.Fatalf("%d unexpected answers", bad.Load())
	}
	if unauthorized.Load() > maxFailures || unauthorized.Load() < 100 {
		t.Errorf("%d wrong secrets were checked, want 100..%d", unauthorized.Load(), maxFailures)
	}
	if served < 10 || refused != 0 {
		t.Errorf("other client: %d served, %d refused", served, refused)
	}
}

// Overrides set with the CLI apply at once: a client's own, else its institution's,
// else --ratelimit-client; deleting one restores the next budget up. The admin API
// refuses bad budgets and unknown targets, and audits each change.
func TestRateLimitOverridesThroughCLI(t *testing.T) {
	s := startServer(t, "--ratelimit-client", "1000", "--ratelimit-client-burst", "1000", "--ratelimit-cache-ttl", "1h")
	conn := []string{"--server", s.adminURL, "--token", s.token, "--data-dir", t.TempDir(), "-o", "json"}
	run := func(args ...string) (string, error) {
		t.Helper()
		out, errOut, err := runCLI(t, "", append(args, conn...)...)
		if err != nil {
			return errOut, err
		}
		return out, nil
	}
	a := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}})
	b := s.newClient(t, adminapi.ClientInput{Scopes: []string{"accounts:read"}, InstitutionID: a.InstitutionID})
	hc := &http.Client{}
	served := func(c adminapi.CreatedClient, n int) int {
		ok := 0
		for i := 0; i < n; i++ {
			if st, retry, code := tokenFrom(t, hc, s.public, c.ClientID, c.ClientSecret, ""); st == http.StatusOK {
				ok++
			} else if st != http.StatusTooManyRequests || retry == "" || code != "slow_down" {
				t.Fatalf("status %d %q", st, code)
			}
		}
		return ok
	}
	if _, err := run("ratelimit", "set", "institution", a.InstitutionID, "--rate", "0.001", "--burst", "3"); err != nil {
		t.Fatal(err)
	}
	out, err := run("ratelimit", "set", "client", a.ClientID, "--rate", "0.001", "--burst", "2")
	if err != nil {
		t.Fatal(err)
	}
	if v := decodeOne(t, out); v["scope"] != "client" || v["burst"] != float64(2) {
		t.Fatalf("set answered %v", v)
	}
	if got := served(a, 5); got != 2 {
		t.Errorf("client override: %d of 5 served, want 2", got)
	}
	if got := served(b, 5); got != 3 {
		t.Errorf("institution override: %d of 5 served, want 3", got)
	}
	out, err = run("ratelimit", "list")
	if err != nil || strings.Count(out, `"scope"`) != 2 {
		t.Fatalf("list: %v %s", err, out)
	}
	if _, err := run("ratelimit", "delete", "client", a.ClientID); err != nil {
		t.Fatal(err)
	}
	// a now has its institution's budget (per client, a bucket of its own): a changed
	// budget starts a full bucket of the new size.
	if got := served(a, 5); got != 3 {
		t.Errorf("after deleting the client override %d of 5 served, want 3 (the institution's budget)", got)
	}
	if _, err := run("ratelimit", "delete", "institution", a.InstitutionID); err != nil {
		t.Fatal(err)
	}
	if got := served(b, 5); got != 5 {
		t.Errorf("after deleting every override %d of 5 served, want all (global budget)", got)
	}
	for _, bad := range [][]string{
		{"ratelimit", "set", "client", "nobody", "--rate", "1", "--burst", "1"},
		{"ratelimit", "set", "client", a.ClientID, "--rate", "5", "--burst", "0"},
		{"ratelimit", "set", "client", a.ClientID, "--rate", "-1", "--burst", "1"},
		{"ratelimit", "set", "galaxy", a.ClientID, "--rate", "1", "--burst", "1"},
		{"ratelimit", "get", "client", a.ClientID},
		{"ratelimit", "delete", "client", a.ClientID},
	} {
		if _, err := run(bad...); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}
	page, err := s.admin.ListAudit(context.Background(), adminapi.AuditQuery{InstitutionID: a.InstitutionID})
	events := page.Items
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		if strings.HasPrefix(e.Action, "ratelimit.") {
			actions = append(actions, e.Action)
			if e.Details["client_addr"] != "127.0.0.1" {
				t.Errorf("audit %s without the admin's address: %v", e.Action, e.Details)
			}
		}
	}
	if len(actions) != 4 {
		t.Errorf("audit has %v, want 2 sets and 2 deletes", actions)
	}
}

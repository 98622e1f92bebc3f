package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// TestAbbeyCrossLive runs the real binary path: the AbbeyCross dialect on the public
// listener under its prefix and on its own listener at the root; the CLI's hours and
// --max-active-tokens commands; working hours and the cap as a client sees them.
func TestAbbeyCrossLive(t *testing.T) {
	s := startServer(t, "--abbeycross-addr", "127.0.0.1:0")
	own := "http://" + s.ownAddr(t, "abbeycross")
	c := s.newClient(t, adminapi.ClientInput{AuthMethod: jeton.AuthSecretPost, Scopes: []string{"fx:quote"}})
	body := `{"client_id":"` + c.ClientID + `","client_secret":"` + c.ClientSecret + `"}`
	post := func(url string) (int, http.Header, map[string]any) {
		t.Helper()
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v: %s", url, err, b)
		}
		return resp.StatusCode, resp.Header, m
	}
	for _, url := range []string{s.public + "/abbeycross/v1/oauth/token", own + "/v1/oauth/token"} {
		if st, _, m := post(url); st != 200 || m["token_type"] != "Bearer" || m["scope"] != "fx:quote" {
			t.Fatalf("%s: %d %v", url, st, m)
		}
	}

	conn := []string{"--server", s.adminURL, "--token", s.token, "--data-dir", s.dataDir}
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, "", append(args, conn...)...)
		if err != nil {
			t.Fatalf("jeton %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return out
	}
	// Closed all of today (UTC): the next opening is tomorrow at midnight.
	today := time.Now().UTC().Format(time.DateOnly)
	out := cli("institution", "hours", "set", c.InstitutionID, "--tz", "UTC",
		"--window", "Mon-Fri 00:00-24:00", "--window", "Sat-Sun 00:00-24:00", "--closed", today, "--closed", "2099-12-25")
	if !strings.Contains(out, "next_opening") || !strings.Contains(out, today) {
		t.Errorf("hours set printed:\n%s", out)
	}
	out = cli("institution", "hours", "show", c.InstitutionID)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly) + "T00:00:00Z"
	if !strings.Contains(out, tomorrow) {
		t.Errorf("hours show does not name the next opening %s:\n%s", tomorrow, out)
	}
	st, h, m := post(s.public + "/abbeycross/v1/oauth/token")
	if st != 503 || m["code"] != "OUTSIDE_WORKING_HOURS" || h.Get("Retry-After") == "" {
		t.Fatalf("closed day: %d %v %v", st, m, h)
	}
	if !strings.Contains(s.logs.String(), m["errorId"].(string)) {
		t.Errorf("errorId %v not in the server log", m["errorId"])
	}
	// The standard dialect answers the same calendar its own way.
	req, _ := http.NewRequest(http.MethodPost, s.public+"/oauth2/token", strings.NewReader("grant_type=client_credentials&client_id="+c.ClientID+"&client_secret="+c.ClientSecret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("standard dialect outside hours: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	cli("institution", "hours", "clear", c.InstitutionID)
	if st, _, m := post(own + "/v1/oauth/token"); st != 200 {
		t.Fatalf("after hours clear: %d %v", st, m)
	}

	// The cap: 3 with 20 parallel requests issues exactly 3 (the client already holds
	// none that count: its earlier tokens were issued without a cap, so have no slot).
	out = cli("client", "update", c.ClientID, "--max-active-tokens", "3")
	if !strings.Contains(out, "max_active_tokens") {
		t.Errorf("client update printed:\n%s", out)
	}
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			st, _, m := post(s.public + "/abbeycross/v1/oauth/token")
			mu.Lock()
			defer mu.Unlock()
			codes[st]++
			if st == 409 && m["code"] != "CONFLICT" {
				t.Errorf("409 with code %v", m["code"])
			}
		})
	}
	wg.Wait()
	if codes[200] != 3 || codes[409] != 17 {
		t.Errorf("answers %v, want three 200 and seventeen 409", codes)
	}
}

func init() {
	hostileVendors = append(hostileVendors, hostileVendor{
		args: []string{"--abbeycross-addr", "127.0.0.1:0"},
		requests: func(t *testing.T, s *liveServer, pub string, rnd func() string) []*http.Request {
			own := "http://" + s.ownAddr(t, "abbeycross")
			body := func() string {
				return `{"grant_type":"` + rnd() + `","client_id":"` + rnd() + `","client_secret":"` + rnd() + `"}`
			}
			return []*http.Request{
				hostileRequest(t, "POST", pub+"/abbeycross/v1/oauth/token", jsonType, body()),
				hostileRequest(t, "POST", pub+"/abbeycross/v1/oauth/token", jsonType, `{"client_id":"`+rnd()+`","client_secret":"x","scope":"`+rnd()+`"}`),
				hostileRequest(t, "POST", pub+"/abbeycross/"+rnd(), jsonType, body()),
				hostileRequest(t, "POST", own+"/v1/oauth/token", jsonType, body()),
				hostileRequest(t, "GET", own+"/"+rnd(), "", ""),
			}
		},
	})
	tlsVendors = append(tlsVendors, "abbeycross")
	bodyLimitVendors = append(bodyLimitVendors, bodyLimitVendor{
		args: []string{"--abbeycross-addr", "127.0.0.1:0"},
		targets: func(t *testing.T, s *liveServer, pub string) []bodyTarget {
			return []bodyTarget{{pub, "/abbeycross/v1/oauth/token", jsonType, ""}}
		},
	})
}

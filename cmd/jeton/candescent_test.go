package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCandescentServeAndCLI runs `jeton serve` with the Candescent dialect on its
// default prefix and on its own listener, and sets it up with the CLI alone: an
// institution alias and V1 switch, a client enabled for a second FI, a link.
func TestCandescentServeAndCLI(t *testing.T) {
	s := startServer(t, "--candescent-addr", "127.0.0.1:0")
	conn := []string{"--server", s.adminURL, "--token", s.token, "--data-dir", t.TempDir(), "-o", "json"}
	run := func(args ...string) map[string]any {
		t.Helper()
		out, errOut, err := runCLI(t, "", append(args, conn...)...)
		if err != nil {
			t.Fatalf("jeton %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return decodeOne(t, out)
	}
	fi1 := run("institution", "create", "--name", "First CU")["id"].(string)
	fi2 := run("institution", "create", "--name", "Second CU")["id"].(string)
	got := run("institution", "update", fi1, "--alias", "01234", "--candescent-v1", "on")
	if cs := got["candescent"].(map[string]any); cs["alias"] != "01234" || cs["v1_enabled"] != true {
		t.Fatalf("institution update answered %v", got)
	}
	partner := run("client", "create", "--institution", fi1, "--name", "partner", "--grant", "client_credentials", "--scope", "accounts")
	id, secret := partner["client_id"].(string), partner["client_secret"].(string)
	app := run("client", "create", "--institution", fi1, "--name", "oidc app", "--grant", "authorization_code", "--redirect-uri", "https://app.example/cb")["client_id"].(string)
	if inst := run("client", "update", id, "--add-institution", fi2)["institutions"].([]any); len(inst) != 2 || inst[1] != fi2 {
		t.Fatalf("institutions after --add-institution: %v", inst)
	}
	if l := run("client", "link", "--minter", id, "--client", app); l["minter_id"] != id || l["client_id"] != app {
		t.Fatalf("link answered %v", l)
	}

	cc := func(base, fiHeader string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/oauth2/v1/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("transactionId", "3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b")
		req.Header.Set("institutionId", fiHeader)
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode == 200 && (body["token_type"] != "Bearer" || body["expires_in"] != float64(3600)) {
			t.Fatalf("answer %v", body)
		}
		if resp.Header.Get("transactionId") == "" {
			t.Fatal("transactionId not echoed")
		}
		return resp.StatusCode
	}
	own := "http://" + s.ownAddr(t, "candescent")
	for _, base := range []string{s.public + "/candescent", own} {
		for _, h := range []string{fi1, "01234", fi2} {
			if st := cc(base, h); st != 200 {
				t.Errorf("%s with institutionId %s: status %d", base, h, st)
			}
		}
	}
	run("client", "update", id, "--remove-institution", fi2)
	// The client cache of the serving process is invalidated by the admin API.
	if st := cc(own, fi2); st != 400 {
		t.Errorf("after --remove-institution: status %d, want 400", st)
	}
}

func init() {
	hostileVendors = append(hostileVendors, hostileVendor{
		args: []string{"--candescent-addr", "127.0.0.1:0"},
		requests: func(t *testing.T, s *liveServer, pub string, rnd func() string) []*http.Request {
			own := "http://" + s.ownAddr(t, "candescent")
			tid := "3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b"
			form := "grant_type=" + rnd() + "&client_id=" + rnd() + "&client_secret=" + rnd()
			cc := "grant_type=client_credentials&client_id=" + rnd() + "&client_secret=" + rnd()
			return []*http.Request{
				hostileRequest(t, "POST", pub+"/candescent/oauth2/v1/token", formType, form, "transactionId", tid, "institutionId", rnd()),
				hostileRequest(t, "POST", pub+"/candescent/oauth2/v1/token", formType, cc, "transactionId", tid, "institutionId", rnd()),
				hostileRequest(t, "POST", pub+"/candescent/oauth2/v1/token", formType, cc, "transactionId", rnd(), "institutionId", rnd()),
				hostileRequest(t, "POST", pub+"/candescent/v1/oauth/token", formType, cc, "di_tid", rnd(), "di_fiid", rnd()),
				hostileRequest(t, "POST", pub+"/candescent/oauth2/v1/revoke", formType, "token="+rnd(), "transactionId", tid),
				hostileRequest(t, "POST", pub+"/candescent/v1/client-authorization", formType, cc, "transactionId", tid, "institutionId", rnd()),
				hostileRequest(t, "POST", own+"/oauth2/v1/token", formType, form, "transactionId", tid, "institutionId", rnd()),
				hostileRequest(t, "GET", own+"/"+rnd(), "", ""),
			}
		},
	})
	tlsVendors = append(tlsVendors, "candescent")
	bodyLimitVendors = append(bodyLimitVendors, bodyLimitVendor{
		args: []string{"--candescent-addr", "127.0.0.1:0"},
		targets: func(t *testing.T, s *liveServer, pub string) []bodyTarget {
			return []bodyTarget{
				{pub, "/candescent/oauth2/v1/token", formType, ""},
				{pub, "/candescent/v1/oauth/token", formType, ""},
			}
		},
	})
}

package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/postgres/pgtest"
)

// Test-sized schedule: keys are replaced every 6 s, publish 2 s before they sign, and
// replicas re-read keys every second.
const (
	testRotationInterval = 6 * time.Second
	testPublishDelay     = 2 * time.Second
)

// TestScheduledRotationTwoProcesses: two `jeton serve` processes on one PostgreSQL
// database, both checking the schedule, rotate every alg exactly once per interval:
// no two successors of one key, one audit row per rotation. A successor is published
// by both replicas before it signs, then signs on both, and every token verifies
// against either replica's JWKS.
func TestScheduledRotationTwoProcesses(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	env := []string{"JETON_KEK=" + base64.StdEncoding.EncodeToString([]byte("two replicas share one 32-B key!"))}
	args := []string{"--database", dsn, "--issuer", replicaIssuer, "--key-rotation-interval", testRotationInterval.String(),
		"--key-publish-delay", testPublishDelay.String(), "--key-reload-interval", "1s"}
	first := startReplica(t, env, append(args, "--migrate")...)
	rs := []*replica{first, startReplica(t, env, args...)}
	ctx := context.Background()
	inst, err := rs[0].admin.CreateInstitution(ctx, "First Credit Union")
	if err != nil {
		t.Fatal(err)
	}
	c := replicaClient(t, rs[0], adminapi.ClientInput{InstitutionID: inst.ID, Name: "batch", Scopes: []string{"accounts:read"}})
	initial := currentKey(t, rs[1], "ES256")

	// The first scheduled successor: published by both replicas before it signs.
	var next jeton.SigningKey
	waitFor(t, 3*testRotationInterval, "a scheduled ES256 successor", func() bool {
		next = currentKey(t, rs[1], "ES256")
		return next.ID != initial.ID
	})
	if time.Until(next.ActiveAt) > 700*time.Millisecond {
		for _, r := range rs {
			if kid := tokenKid(t, r, c); kid == next.ID {
				t.Errorf("%s: the successor signs before its publish delay ended", r.public)
			}
		}
	}
	waitFor(t, 3*time.Second, "both replicas publishing the successor", func() bool {
		return slices.Contains(publishedKids(t, rs[0]), next.ID) && slices.Contains(publishedKids(t, rs[1]), next.ID)
	})
	time.Sleep(time.Until(next.ActiveAt.Add(1500 * time.Millisecond))) // the delay, and a reload
	for _, r := range rs {
		tok := ccToken(t, r, c)
		for _, v := range rs {
			if !verifies(t, tok, v) {
				t.Errorf("a token from %s does not verify against the JWKS of %s", r.public, v.public)
			}
		}
		if kid := kidOf(t, tok); kid == initial.ID {
			t.Errorf("%s still signs with the replaced key after the publish delay", r.public)
		}
	}

	// Let a few more intervals pass, then count: one successor per key per interval.
	waitFor(t, 4*testRotationInterval, "three keys of every alg", func() bool {
		ks, err := rs[0].admin.ListKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, alg := range keys.DefaultAlgs() {
			if len(keysOf(ks, alg)) < 3 {
				return false
			}
		}
		return true
	})
	ks, err := rs[0].admin.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := rs[1].admin.ListAudit(ctx, adminapi.AuditQuery{Action: keys.AuditKeyRotate, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	predecessors := map[string]int{}
	for _, e := range audit {
		if e.Actor == keys.ScheduleActor {
			predecessors[e.Details["predecessor"]]++
		}
	}
	for _, alg := range keys.DefaultAlgs() {
		list := keysOf(ks, alg)
		for i := 1; i < len(list); i++ {
			if gap := list[i].CreatedAt.Sub(list[i-1].CreatedAt); gap < testRotationInterval {
				t.Errorf("%s: key %s created %v after its predecessor, less than the interval: a double rotation", alg, list[i].ID, gap)
			}
			if n := predecessors[list[i-1].ID]; n != 1 {
				t.Errorf("%s: key %s has %d audited scheduled successors, want 1", alg, list[i-1].ID, n)
			}
		}
	}
}

// waitFor polls cond every 100 ms until it holds or within has passed.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// keysOf returns the keys of alg, oldest first.
func keysOf(ks []jeton.SigningKey, alg string) []jeton.SigningKey {
	out := slices.DeleteFunc(slices.Clone(ks), func(k jeton.SigningKey) bool { return k.Alg != alg })
	slices.SortFunc(out, func(a, b jeton.SigningKey) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// currentKey is alg's unretired key, as the admin API lists it.
func currentKey(t *testing.T, r *replica, alg string) jeton.SigningKey {
	t.Helper()
	ks, err := r.admin.ListKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if k.Alg == alg && k.RetiredAt.IsZero() {
			return k
		}
	}
	t.Fatalf("no current %s key", alg)
	return jeton.SigningKey{}
}

// jwksOf fetches a replica's JWK Set from its own listener.
func jwksOf(t *testing.T, r *replica) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(r.public + oauth2.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}

func publishedKids(t *testing.T, r *replica) []string {
	t.Helper()
	var out []string
	for _, k := range jwksOf(t, r).Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// ccToken gets a client_credentials access token from r.
func ccToken(t *testing.T, r *replica, c adminapi.CreatedClient) string {
	t.Helper()
	tok, err := tokenErr(r, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func tokenErr(r *replica, c adminapi.CreatedClient) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, r.public+oauth2.TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	return accessToken(resp)
}

// accessToken reads a token answer's access_token, or an error with its status and body.
func accessToken(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.AccessToken == "" {
		return "", &tokenError{status: resp.StatusCode, body: string(body)}
	}
	return out.AccessToken, nil
}

type tokenError struct {
	status int
	body   string
}

func (e *tokenError) Error() string {
	return "token request: " + http.StatusText(e.status) + ": " + e.body
}

func tokenKid(t *testing.T, r *replica, c adminapi.CreatedClient) string {
	t.Helper()
	return kidOf(t, ccToken(t, r, c))
}

func kidOf(t *testing.T, raw string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Headers[0].KeyID
}

// verifies reports whether raw's signature verifies against r's JWKS.
func verifies(t *testing.T, raw string, r *replica) bool {
	t.Helper()
	err := verifyWith(raw, r)
	if err != nil {
		t.Log(err)
	}
	return err == nil
}

// TestKeyGaugesOnMetrics: /metrics on the admin listener carries both key gauges for
// every alg, the next rotation one interval after each current key's creation.
func TestKeyGaugesOnMetrics(t *testing.T) {
	s := startServer(t, "--key-rotation-interval", "720h")
	resp, err := http.Get(s.adminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	ks, err := s.admin.ListKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range keys.DefaultAlgs() {
		k := keysOf(ks, alg)[0]
		next := k.CreatedAt.Add(720 * time.Hour).Unix()
		for _, want := range []string{
			`jeton_signing_key_age_seconds{alg="` + alg + `"} `,
			`jeton_signing_key_next_rotation_timestamp_seconds{alg="` + alg + `"} ` + strconv.FormatFloat(float64(next), 'g', -1, 64),
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	}
}

package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func testPop() *Pop {
	return &Pop{Sizes: Sizes{Institutions: 10, Clients: 1000, Customers: 100, Families: 2000, Replays: 10, Opaque: 500},
		Seed: []byte("lines"), Now: time.Now().UTC().Truncate(time.Second), Span: 6 * 24 * time.Hour,
		Idle: 7 * 24 * time.Hour, Life: 30 * 24 * time.Hour, Expired: 0.1, Audience: testAud}
}

func makeLines(t *testing.T, fn func(w *bufio.Writer) error) [][2]string {
	t.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	must(t, fn(w))
	must(t, w.Flush())
	var out [][2]string
	for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		basic, body, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("line without a tab: %q", l)
		}
		out = append(out, [2]string{basic, body})
	}
	return out
}

// creds returns the client credentials a line carries, Basic or in the body.
func creds(t *testing.T, basic string, form url.Values) (id, secret string) {
	t.Helper()
	if basic == "" {
		return form.Get("client_id"), form.Get("client_secret")
	}
	b, err := base64.StdEncoding.DecodeString(basic)
	must(t, err)
	i, s, _ := strings.Cut(string(b), ":")
	id, err = url.QueryUnescape(i)
	must(t, err)
	secret, err = url.QueryUnescape(s)
	must(t, err)
	return id, secret
}

// Client-credentials lines carry a secret client's own secret, by the method it is
// registered for, and the popular clients are asked far more often than the rest.
func TestCCLinesAreZipfSecretClients(t *testing.T) {
	p := testPop()
	rng := rand.New(rand.NewPCG(1, 2))
	lines := makeLines(t, func(w *bufio.Writer) error { return ccLines(w, p, rng, 5000, 1.1) })
	byID := map[string]int{}
	for j := range p.Clients {
		byID[p.ClientID(j)] = j
	}
	count := map[int]int{}
	for _, l := range lines {
		form, err := url.ParseQuery(l[1])
		must(t, err)
		id, secret := creds(t, l[0], form)
		j, ok := byID[id]
		if !ok || secret != p.ClientSecret(j) || secret == "" {
			t.Fatalf("line %q: not a secret client's credentials", l)
		}
		if (l[0] == "") != (clientMethod(j) == jeton.AuthSecretPost) || form.Get("grant_type") != "client_credentials" {
			t.Fatalf("line %q: wrong presentation for %s", l, clientMethod(j))
		}
		count[j]++
	}
	top := 0
	for _, c := range count {
		top = max(top, c)
	}
	if top < len(lines)/10 || len(count) < 100 {
		t.Fatalf("not skewed: the most asked client has %d of %d lines, %d clients asked", top, len(lines), len(count))
	}
}

// Refresh lines spend each live family's token once, with its client's credentials;
// expired families are never drawn.
func TestRefreshLinesAreDistinctLiveFamilies(t *testing.T) {
	p := testPop()
	live := p.Families - p.Families/10
	for _, n := range []int{100, live} { // by rejection, and by a shuffled list
		lines := makeLines(t, func(w *bufio.Writer) error { return refreshLines(w, p, rand.New(rand.NewPCG(3, 4)), n) })
		if len(lines) != n {
			t.Fatalf("%d lines, want %d", len(lines), n)
		}
		fams := map[string]int{}
		for f := range p.Families {
			_, _, tok := p.Family(f)
			fams[tok] = f
		}
		seen := map[string]bool{}
		for _, l := range lines {
			form, err := url.ParseQuery(l[1])
			must(t, err)
			tok := form.Get("refresh_token")
			f, ok := fams[tok]
			if !ok || seen[tok] || p.expired(f) {
				t.Fatalf("line %q: unknown, repeated or expired family", l)
			}
			seen[tok] = true
			id, secret := creds(t, l[0], form)
			if j := p.familyClient(f); id != p.ClientID(j) || secret != p.ClientSecret(j) {
				t.Fatalf("family %d: credentials of another client", f)
			}
		}
	}
	if err := refreshLines(bufio.NewWriter(&bytes.Buffer{}), p, rand.New(rand.NewPCG(5, 6)), live+1); err == nil {
		t.Fatal("more lines than live families were made")
	}
}

// Introspection lines ask a live opaque token's own client about it.
func TestIntrospectLinesAskTheTokensClient(t *testing.T) {
	p := testPop()
	toks := map[string]jeton.AccessToken{}
	for o := range p.Opaque {
		at, tok := p.OpaqueToken(o)
		toks[tok] = at
	}
	for _, l := range makeLines(t, func(w *bufio.Writer) error { return introspectLines(w, p, rand.New(rand.NewPCG(7, 8)), 300) }) {
		form, err := url.ParseQuery(l[1])
		must(t, err)
		at, ok := toks[form.Get("token")]
		if !ok || !at.ExpiresAt.After(time.Now()) {
			t.Fatalf("line %q: unknown or expired token", l)
		}
		if id, _ := creds(t, l[0], form); id != at.ClientID {
			t.Fatalf("line %q: asked by another client", l)
		}
	}
}

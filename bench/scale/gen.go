package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jeton/jeton"
)

// Sizes is how many rows of each kind a population has.
type Sizes struct {
	Institutions int `json:"institutions"`
	Clients      int `json:"clients"`
	Customers    int `json:"customers"`
	Families     int `json:"families"`
	Replays      int `json:"replays"`
	Opaque       int `json:"opaque"`
}

func (s Sizes) check() error {
	switch {
	case s.Institutions < 1 || s.Clients < 10 || s.Customers < s.Institutions:
		return fmt.Errorf("need at least 1 institution, 10 clients and a customer per institution: %+v", s)
	case s.Families < 0 || s.Replays < 0 || s.Opaque < 0:
		return fmt.Errorf("negative size: %+v", s)
	}
	return nil
}

// Pop is a seeded population: every row is a pure function of (Seed, Now, the row's
// index), so the tool that writes the load's request files (lines.go) finds the
// secrets and tokens of any row again without reading the database or keeping 10
// million tokens on disk. What is random on a server (ids, secrets, tokens) is an
// HMAC of the seed here: the same length and alphabet as jeton.NewID, NewSecret and
// NewRefreshToken make, stored the way the stores store them (rows_test.go compares
// the bytes with rows the stores write themselves).
type Pop struct {
	Sizes
	Seed []byte
	// Now is the load's instant (UTC, whole microseconds, as the stores keep time).
	Now time.Time
	// Span is how far back the families start, oldest first (default 6 days), and Idle
	// a first token's idle lifetime, Life a family's absolute lifetime: a family made
	// at Now-Span is still live at Now when Idle > Span.
	Span, Idle, Life time.Duration
	// Expired is the fraction of families, replay records and opaque tokens whose
	// expiry is already past at Now (the janitor's work): their expiries fall in the
	// day before Now.
	Expired float64
	// PasswordHash is every customer's argon2id hash (one Hash call for the whole
	// population: a hash costs 20-50 ms, and 1,000,000 of them would take hours).
	PasswordHash string
	// PublicKeyPEM is every private_key_jwt client's registered key.
	PublicKeyPEM string
	// Audience is the opaque tokens' aud (the server's issuer).
	Audience string
	// Batch names a batch of families added to a loaded population (the janitor
	// simulation's days): it changes their ids and tokens, nothing else.
	Batch string
}

// Client kinds, by index modulo 10: 0-5 client_secret_basic, 6-7 client_secret_post,
// 8-9 private_key_jwt. Every fourth client issues opaque access tokens, the others
// JWTs (RFC 9068). The opaque ones live a day (opaqueTTL), so that the seeded tokens
// that the introspection runs ask about are still active however long the load and
// the runs before take.
func clientMethod(j int) jeton.AuthMethod {
	switch j % 10 {
	case 8, 9:
		return jeton.AuthPrivateKey
	case 6, 7:
		return jeton.AuthSecretPost
	}
	return jeton.AuthSecretBasic
}

const opaqueTTL = 24 * time.Hour

func clientFormat(j int) jeton.TokenFormat {
	if j%4 == 3 {
		return jeton.FormatOpaque
	}
	return jeton.FormatJWT
}

// derive returns n bytes that stand for crypto/rand's in row i of kind.
func (p *Pop) derive(kind string, i int, n int) []byte {
	m := hmac.New(sha256.New, p.Seed)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	m.Write([]byte(kind))
	m.Write(b[:])
	out := m.Sum(nil)
	for len(out) < n {
		m.Write(out[len(out)-sha256.Size:])
		out = m.Sum(out)
	}
	return out[:n]
}

func (p *Pop) id(kind string, i int) string { return hex.EncodeToString(p.derive(kind, i, 16)) }

// timeID is jeton.NewTimeID(t) with derived bits in place of random ones.
func (p *Pop) timeID(kind string, i int, t time.Time) string {
	b := p.derive(kind, i, 16)
	ms := uint64(t.UnixMilli())
	for k := 0; k < 6; k++ {
		b[k] = byte(ms >> (40 - 8*k))
	}
	return hex.EncodeToString(b)
}

// InstitutionID is institution i's id.
func (p *Pop) InstitutionID(i int) string { return p.id("inst", i) }

// Institution is institution i.
func (p *Pop) Institution(i int) jeton.Institution {
	return jeton.Institution{ID: p.InstitutionID(i), Name: fmt.Sprintf("Scale bank %d", i), CreatedAt: p.Now, UpdatedAt: p.Now}
}

// ClientID and ClientSecret are client j's credentials (no secret for private_key_jwt).
func (p *Pop) ClientID(j int) string { return p.id("client", j) }

func (p *Pop) ClientSecret(j int) string {
	if clientMethod(j) == jeton.AuthPrivateKey {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(p.derive("secret", j, 32))
}

// Client is client j, filled in as the admin API fills in a new one, of institution
// j mod Institutions.
func (p *Pop) Client(j int) jeton.Client {
	inst := p.InstitutionID(j % p.Institutions)
	c := jeton.Client{
		ID: p.ClientID(j), InstitutionID: inst, Name: fmt.Sprintf("scale-%d", j),
		Status: jeton.ClientActive, AuthMethod: clientMethod(j), Institutions: []string{inst},
		Grants: []string{jeton.GrantClientCredentials}, Scopes: []string{"accounts:read", "payments:write"},
		DefaultScopes: []string{"accounts:read"}, TokenFormat: clientFormat(j),
		AccessTokenTTL: time.Hour, RefreshTokenTTL: 30 * 24 * time.Hour, SigningAlg: "ES256",
		CreatedAt: p.Now, UpdatedAt: p.Now,
	}
	if c.TokenFormat == jeton.FormatOpaque {
		c.AccessTokenTTL = opaqueTTL
	}
	if c.AuthMethod == jeton.AuthPrivateKey {
		c.PublicKeys = []jeton.ClientKey{{Format: jeton.KeyPEM, Data: p.PublicKeyPEM}}
	} else {
		c.SecretDigest = jeton.Digest(p.ClientSecret(j))
		c.Grants = append(c.Grants, jeton.GrantPassword, jeton.GrantRefreshToken)
	}
	return c
}

// Customer is customer k, of institution k mod Institutions.
func (p *Pop) Customer(k int) jeton.Customer {
	return jeton.Customer{
		ID: p.id("customer", k), InstitutionID: p.InstitutionID(k % p.Institutions),
		Username: fmt.Sprintf("user-%d", k), PasswordHash: p.PasswordHash,
		Status: jeton.CustomerActive, CreatedAt: p.Now, UpdatedAt: p.Now,
	}
}

// familyClient is the client of family f: one that uses a secret (the refresh
// grant's requests carry its credentials), spread over all of them.
func (p *Pop) familyClient(f int) int {
	j := f % p.Clients
	if j%10 >= 8 {
		j -= 8
	}
	return j
}

// expired reports whether row i of n is one of the Expired fraction (spread evenly).
func (p *Pop) expired(i int) bool {
	if p.Expired <= 0 {
		return false
	}
	return int(float64(i+1)*p.Expired) != int(float64(i)*p.Expired)
}

// pastExpiry is an expiry in the day before Now for expired row i of n.
func (p *Pop) pastExpiry(i, n int) time.Time {
	return p.Now.Add(-24*time.Hour + frac(24*time.Hour, i, n)).Truncate(time.Microsecond)
}

// frac is d*i/n, i in [0, n): d*i itself overflows an int64 of nanoseconds for days
// and millions of rows, so the product is taken as a float (exact to well under a
// microsecond at these sizes).
func frac(d time.Duration, i, n int) time.Duration {
	return time.Duration(float64(d) * float64(i) / float64(max(n, 1)))
}

// Family is refresh family f with its one live token: the family of a customer of the
// client's institution, started between Now-Span and Now in index order (so its
// time-ordered id puts it at the end of the table, as on a server).
func (p *Pop) Family(f int) (jeton.RefreshFamily, jeton.RefreshToken, string) {
	j := p.familyClient(f)
	instIdx := j % p.Institutions
	perInst := p.Customers / p.Institutions
	k := instIdx + p.Institutions*((f/p.Clients)%perInst)
	created := p.Now.Add(-p.Span + frac(p.Span, f, p.Families)).Truncate(time.Microsecond)
	famExp, tokExp := created.Add(p.Life), created.Add(p.Idle)
	if p.expired(f) {
		famExp = p.pastExpiry(f, p.Families)
		tokExp = famExp
	}
	fam := jeton.RefreshFamily{
		ID: p.timeID("family"+p.Batch, f, created), ClientID: p.ClientID(j), InstitutionID: p.InstitutionID(instIdx),
		Subject: p.id("customer", k), Scope: []string{"accounts:read"}, AuthTime: created,
		CreatedAt: created, ExpiresAt: famExp,
	}
	tok := jeton.RefreshSuccessor(fam.ID, p.derive("refresh"+p.Batch, f, 32))
	return fam, jeton.RefreshToken{Digest: jeton.RefreshTokenKey(tok), FamilyID: fam.ID, CreatedAt: created, ExpiresAt: tokExp}, tok
}

// Replay is replay record r: a private_key_jwt client's assertion jti, recorded until
// the assertion's exp, which lies within the next hour (or, expired, the last day).
func (p *Pop) Replay(r int) (clientID, jti string, exp time.Time) {
	j := (r%max(p.Clients/10, 1))*10 + 8
	if j >= p.Clients {
		j = 8
	}
	exp = p.Now.Add(frac(time.Hour, r, p.Replays)).Truncate(time.Second)
	if p.expired(r) {
		exp = p.pastExpiry(r, p.Replays).Truncate(time.Second)
	}
	return p.ClientID(j), p.id("jti", r), exp
}

// opaqueClient is the client of opaque token o: one with opaque tokens and a secret,
// so that it can introspect its own tokens.
func (p *Pop) opaqueClient(o int) int {
	// j%4 == 3 and j%10 < 8: j = 3, 7, 11, 15, 23, 27, 31, 35, ... (20 in every 10*4).
	good := [...]int{3, 7, 11, 15, 23, 27, 31, 35}
	j := (o/len(good))%max(p.Clients/40, 1)*40 + good[o%len(good)]
	if j >= p.Clients {
		j = 3
	}
	return j
}

// OpaqueToken is opaque access token o, as a client_credentials grant stores it, issued
// within the last hour and expiring opaqueTTL later (or, expired, in the last day).
func (p *Pop) OpaqueToken(o int) (jeton.AccessToken, string) {
	j := p.opaqueClient(o)
	tok := base64.RawURLEncoding.EncodeToString(p.derive("opaque", o, 32))
	issued := p.Now.Add(-time.Hour + frac(time.Hour, o, p.Opaque)).Truncate(time.Second)
	exp := issued.Add(opaqueTTL)
	if p.expired(o) {
		exp = p.pastExpiry(o, p.Opaque).Truncate(time.Second)
		issued = exp.Add(-opaqueTTL)
	}
	return jeton.AccessToken{
		Digest: jeton.Digest(tok), JTI: p.id("jti-at", o), ClientID: p.ClientID(j),
		InstitutionID: p.InstitutionID(j % p.Institutions), Subject: p.ClientID(j),
		Scope: []string{"accounts:read"}, Audience: []string{p.Audience}, IssuedAt: issued, ExpiresAt: exp,
	}, tok
}

package clientauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/ttlcache"
)

// KeySource gives a private_key_jwt client's public keys.
type KeySource interface {
	// ClientKeys returns the keys an assertion of c may be verified with. refresh
	// asks for a fresh copy of a jwks_uri set because the assertion named a kid the
	// cached set lacks; a source may decline (rate limit) and return what it has.
	ClientKeys(ctx context.Context, c *jeton.Client, refresh bool) ([]jose.JSONWebKey, error)
}

// Bounds of jwks_uri fetching.
const (
	DefaultJWKSTimeout  = 5 * time.Second
	DefaultJWKSTTL      = 5 * time.Minute
	DefaultJWKSRefetch  = 30 * time.Second
	MaxJWKSBody         = 64 << 10
	DefaultMaxKeyClient = 10000
)

// KeysConfig configures Keys. Zero fields take the defaults above.
type KeysConfig struct {
	// HTTP fetches jwks_uri sets. Default: a client with DefaultJWKSTimeout that
	// follows no redirects (a key set must be where it was registered), uses no proxy
	// and connects to public addresses only (fetchguard.go). A client given here is
	// used as it is.
	HTTP *http.Client
	Now  func() time.Time
	// TTL is how long a fetched key set is used before it is fetched again.
	TTL time.Duration
	// Refetch is the least time between two fetches of one set, for unknown kids and
	// after failures, so that forged assertions cannot make jeton hammer a client's
	// server.
	Refetch time.Duration
	// MaxClients bounds each cache (registered keys, fetched sets).
	MaxClients int
	// MinRSABits is the smallest registered RSA key accepted (default MinRSABits).
	MinRSABits int
	// AllowHosts are jwks_uri hosts (names or IP literals, as written in the URI) that
	// may be fetched even when they resolve to a loopback, private, link-local or
	// metadata address, for test setups (fetchguard.go). Ignored when HTTP is set.
	AllowHosts []string
	// Resolver resolves jwks_uri host names (default net.DefaultResolver). Ignored
	// when HTTP is set.
	Resolver *net.Resolver
}

// Keys is the KeySource over a client's registration: its registered PublicKeys,
// parsed once per client version (id and UpdatedAt) rather than per request, or its
// jwks_uri (RFC 7591 §2), fetched over HTTP(S) and cached. It is safe for concurrent
// use.
type Keys struct {
	cfg KeysConfig

	// Both are bounded by MaxClients and never expire: a parsed entry is valid while
	// the client's UpdatedAt is the same, a fetched set keeps its own time (remote).
	parsed  ttlcache.Cache[string, parsedKeys]
	fetched ttlcache.Cache[string, *fetchedKeys]
}

type parsedKeys struct {
	updatedAt time.Time
	keys      []jose.JSONWebKey
	err       error
}

type fetchedKeys struct {
	mu        sync.Mutex // one fetch at a time per set
	keys      []jose.JSONWebKey
	fetchedAt time.Time // last successful fetch
	triedAt   time.Time // last attempt, successful or not
	err       error     // the last attempt's failure, nil after a success
}

// NewKeys returns a key source.
func NewKeys(cfg KeysConfig) *Keys {
	if cfg.HTTP == nil {
		cfg.HTTP = guardedHTTP(cfg.AllowHosts, cfg.Resolver)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultJWKSTTL
	}
	if cfg.Refetch <= 0 {
		cfg.Refetch = DefaultJWKSRefetch
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxKeyClient
	}
	k := &Keys{cfg: cfg}
	k.parsed.Max, k.fetched.Max = cfg.MaxClients, cfg.MaxClients
	return k
}

// ClientKeys implements KeySource.
func (k *Keys) ClientKeys(ctx context.Context, c *jeton.Client, refresh bool) ([]jose.JSONWebKey, error) {
	if c.JWKSURI != "" {
		return k.remote(ctx, c, refresh)
	}
	return k.registered(c)
}

// Stats are the lookups of the registered keys parsed once per client version, and
// of the key sets fetched from jwks_uri (a miss is a fetch), for the metrics.
func (k *Keys) Stats() (registered, remote ttlcache.Stats) {
	return k.parsed.Stats(), k.fetched.Stats()
}

func (k *Keys) registered(c *jeton.Client) ([]jose.JSONWebKey, error) {
	now := k.cfg.Now()
	p, ok := k.parsed.Get(c.ID, now)
	hit := ok && p.updatedAt.Equal(c.UpdatedAt)
	k.parsed.Count(hit)
	if hit {
		return p.keys, p.err
	}
	keys, kerr := ParseKeysMinRSA(c.PublicKeys, k.cfg.MinRSABits)
	p = parsedKeys{updatedAt: c.UpdatedAt, keys: keys}
	if kerr != nil {
		p.err = kerr
	} else if len(keys) == 0 {
		p.err = errors.New("client has no registered public keys")
	}
	k.parsed.Put(c.ID, p, ttlcache.NoExpiry, now)
	return p.keys, p.err
}

func (k *Keys) remote(ctx context.Context, c *jeton.Client, refresh bool) ([]jose.JSONWebKey, error) {
	now := k.cfg.Now()
	f := k.fetched.GetOrPut(c.ID+"\x00"+c.JWKSURI, now, func() *fetchedKeys { return &fetchedKeys{} })
	f.mu.Lock()
	defer f.mu.Unlock()
	now = k.cfg.Now() // after waiting for another caller's fetch
	fresh := !f.fetchedAt.IsZero() && now.Sub(f.fetchedAt) < k.cfg.TTL
	mayTry := f.triedAt.IsZero() || now.Sub(f.triedAt) >= k.cfg.Refetch
	k.fetched.Count(!mayTry || (fresh && !refresh))
	switch {
	case fresh && !refresh:
		return f.keys, nil
	case !mayTry && f.err == nil:
		return f.keys, nil // refetched moments ago: what we have is current
	case !mayTry:
		return nil, f.err
	}
	f.triedAt = now
	keys, err := k.fetch(ctx, c.JWKSURI)
	if err != nil {
		f.err = err
		if fresh {
			return f.keys, nil // a failed refresh keeps the still-fresh set
		}
		return nil, err
	}
	f.keys, f.fetchedAt, f.err = keys, now, nil
	return keys, nil
}

// fetch GETs a JWK Set (RFC 7517 §5) with a time and size bound. Members that cannot
// verify an assertion (encryption keys, weak or private keys, other key types) are
// skipped rather than failing the set, since a client's set may serve other purposes.
func (k *Keys) fetch(ctx context.Context, uri string) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultJWKSTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks_uri: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := k.cfg.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks_uri fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks_uri answered %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSBody+1))
	if err != nil {
		return nil, fmt.Errorf("jwks_uri read: %w", err)
	}
	if len(body) > MaxJWKSBody {
		return nil, fmt.Errorf("jwks_uri key set is over %d bytes", MaxJWKSBody)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, errors.New("jwks_uri answer is not a JWK Set")
	}
	var keys []jose.JSONWebKey
	for _, key := range set.Keys {
		if checkJWK(key, MinRSABits) == nil {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks_uri key set has no usable signature key")
	}
	return keys, nil
}

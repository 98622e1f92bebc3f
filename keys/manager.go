package keys

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
)

// Config sets the Manager's rotation policy. Zero fields take the defaults below.
type Config struct {
	// PublishDelay is how long a successor is published before it signs, so that
	// verifiers caching the JWK Set fetch it before meeting a token it signed.
	// Default 10 minutes.
	PublishDelay time.Duration
	// MaxTokenTTL is the longest lifetime of any access or ID token jeton issues; a
	// predecessor stays published that long after it stops signing, so every token it
	// signed still verifies. Default 24 hours.
	MaxTokenTTL time.Duration
	// Now is the clock (DESIGN rule 6). Default time.Now.
	Now func() time.Time
	// Algs are the algorithms that get a key at start when they have none. Default
	// DefaultAlgs: every alg a client may be registered with must have a key, or its
	// token requests would fail.
	Algs []string
	// PreviousKEKs open keys still sealed under an earlier key-encryption key, during
	// a KEK rotation (docs/operations.md); new keys are always sealed under the KEK
	// given to NewManager.
	PreviousKEKs [][]byte
}

// DefaultAlgs are the algorithms that get a key unless Config.Algs says otherwise:
// every supported one (RFC 7518 §3.1, RFC 8037 §3.1), ES256 first.
func DefaultAlgs() []string { return []string{"ES256", "RS256", "PS256", "EdDSA"} }

func (c Config) withDefaults() Config {
	if c.PublishDelay <= 0 {
		c.PublishDelay = 10 * time.Minute
	}
	if c.MaxTokenTTL <= 0 {
		c.MaxTokenTTL = 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(c.Algs) == 0 {
		c.Algs = DefaultAlgs()
	} else {
		c.Algs = slices.Clone(c.Algs)
	}
	return c
}

// Manager owns jeton's signing keys. It is safe for concurrent use: Signer, JWKS and
// KeySet read an immutable snapshot through an atomic pointer, while Load, Reload,
// Rotate and Prune are serialized and swap in a new snapshot when done.
type Manager struct {
	store  jeton.KeyStore
	cfg    Config
	sealer *Keyring
	kekErr error // reported by Load, since NewManager returns no error

	mu   sync.Mutex // serializes the methods that read the store and swap snap
	snap atomic.Pointer[snapshot]
}

// NewManager returns a Manager with no keys loaded; call Load before serving. kek
// seals new keys; kek and cfg.PreviousKEKs open stored ones.
func NewManager(store jeton.KeyStore, kek []byte, cfg Config) *Manager {
	m := &Manager{store: store, cfg: cfg.withDefaults()}
	m.sealer, m.kekErr = NewKeyring(kek, m.cfg.PreviousKEKs...)
	m.snap.Store(newSnapshot(nil))
	return m
}

// Load reads and decrypts every stored key, then generates a first key, active at once,
// for each configured alg that has no current key (so a database made with fewer algs
// gets the missing ones at the next start). The first key is stored only if no other
// replica's first key got there meanwhile (AddFirstSigningKey); otherwise this replica
// signs with that one, so replicas started together publish and sign with the same
// keys from the start instead of each signing with a key the others learn of only at
// their next reload. It fails if any key cannot be decrypted (a wrong KEK) or is
// inconsistent, so that serve stops at start-up.
func (m *Manager) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, alg := range m.cfg.Algs {
		if _, err := lookupAlg(alg); err != nil {
			return err
		}
	}
	if err := m.reloadLocked(ctx); err != nil {
		return err
	}
	added := false
	for _, alg := range m.cfg.Algs {
		if m.snap.Load().hasCurrent(alg) {
			continue
		}
		if err := m.addFirstLocked(ctx, alg); err != nil {
			return err
		}
		added = true
	}
	if !added {
		return nil
	}
	if err := m.reloadLocked(ctx); err != nil {
		return err
	}
	for _, alg := range m.cfg.Algs {
		if !m.snap.Load().hasCurrent(alg) {
			return fmt.Errorf("keys: no current %s key after start-up", alg)
		}
	}
	return nil
}

// addFirstLocked stores a new key of alg, active at once, unless another replica's
// first key of alg is already stored (ErrConflict: the reload that follows finds it).
func (m *Manager) addFirstLocked(ctx context.Context, alg string) error {
	k, err := generate(m.sealer, alg)
	if err != nil {
		return err
	}
	now := m.now()
	k.CreatedAt, k.ActiveAt = now, now
	if err := m.store.AddFirstSigningKey(ctx, k); err != nil && !errors.Is(err, jeton.ErrConflict) {
		return fmt.Errorf("keys: store first %s key %s: %w", alg, k.ID, err)
	}
	return nil
}

// Reload re-reads the keys from the store, picking up rotations made by other replicas.
// Keys whose stored bytes are unchanged are not decrypted again, which keeps it cheap
// enough to run every 30 seconds. On error the previous snapshot stays in use, so a
// bad row written by a misconfigured replica does not stop this one from signing.
func (m *Manager) Reload(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reloadLocked(ctx)
}

func (m *Manager) reloadLocked(ctx context.Context) error {
	if m.kekErr != nil {
		return m.kekErr
	}
	rows, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("keys: list signing keys: %w", err)
	}
	old := make(map[string]*material)
	for _, e := range m.snap.Load().entries {
		old[e.mat.kid] = e.mat
	}
	entries := make([]entry, 0, len(rows))
	for _, k := range rows {
		mat := old[k.ID]
		if mat == nil || !mat.unchanged(k) {
			if mat, err = openKey(m.sealer, k); err != nil {
				return err
			}
		}
		entries = append(entries, entry{meta: k, mat: mat})
	}
	m.snap.Store(newSnapshot(entries))
	return nil
}

// Rotate creates the successor of alg's current key. The successor is published at
// once but signs only from now + PublishDelay; the store retires the predecessor at
// that instant and unpublishes it MaxTokenTTL later, when its last token has expired.
// When no key of alg signs now, there is no predecessor to bridge the delay and no
// verifier can have cached a JWK Set that should have held the new key, so it signs
// at once rather than leaving alg with no signer.
func (m *Manager) Rotate(ctx context.Context, alg string) (jeton.SigningKey, error) {
	if _, err := lookupAlg(alg); err != nil {
		return jeton.SigningKey{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kekErr != nil {
		return jeton.SigningKey{}, m.kekErr
	}
	now := m.now()
	activeAt := now.Add(m.cfg.PublishDelay)
	if _, err := m.snap.Load().signer(alg, m.cfg.Now()); err != nil {
		activeAt = now
	}
	next, err := m.addLocked(ctx, alg, now, activeAt)
	if err != nil {
		return jeton.SigningKey{}, err
	}
	if err := m.reloadLocked(ctx); err != nil {
		return next, err
	}
	return next, nil
}

// addLocked generates a key of alg and stores it through the atomic AddSigningKey,
// which retires the current key of that alg (if any) as of activeAt.
func (m *Manager) addLocked(ctx context.Context, alg string, now, activeAt time.Time) (jeton.SigningKey, error) {
	next, err := generate(m.sealer, alg)
	if err != nil {
		return jeton.SigningKey{}, err
	}
	next.CreatedAt, next.ActiveAt = now, activeAt
	if err := m.store.AddSigningKey(ctx, next, activeAt.Add(m.cfg.MaxTokenTTL)); err != nil {
		return jeton.SigningKey{}, fmt.Errorf("keys: store new %s key %s: %w", alg, next.ID, err)
	}
	return next, nil
}

// Prune deletes keys whose UnpublishAt has passed (no token they signed is still
// valid) and reloads; it returns how many were deleted.
func (m *Manager) Prune(ctx context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.store.DeleteSigningKeys(ctx, m.now())
	if err != nil {
		return 0, fmt.Errorf("keys: delete unpublished keys: %w", err)
	}
	return n, m.reloadLocked(ctx)
}

// List returns every stored key, oldest first, as the store has it.
func (m *Manager) List(ctx context.Context) ([]jeton.SigningKey, error) {
	return m.store.ListSigningKeys(ctx)
}

// Signer returns the key that signs for alg now: the newest key of alg whose ActiveAt
// has come. It errors if there is none (alg not configured, or Load not yet run).
func (m *Manager) Signer(alg string) (Signer, error) {
	return m.snap.Load().signer(alg, m.cfg.Now())
}

// JWKS returns the RFC 7517 §5 JWK Set of every key published now, each with kid, alg
// and use "sig". The JSON is cached until the next instant a key is published or
// unpublished, so serving it costs a clock read and a comparison. The caller must not
// modify the returned slice.
func (m *Manager) JWKS() []byte {
	return m.snap.Load().publication(m.cfg.Now()).json
}

// KeySet returns the public keys published now, for verifying jeton's own tokens (for
// example in introspection).
func (m *Manager) KeySet() jose.JSONWebKeySet {
	set := m.snap.Load().publication(m.cfg.Now()).set
	return jose.JSONWebKeySet{Keys: slices.Clone(set.Keys)}
}

// now is the clock truncated to whole seconds: stores differ in timestamp precision,
// whole seconds round-trip exactly through all of them, and JWT times are seconds too.
func (m *Manager) now() time.Time {
	return m.cfg.Now().UTC().Truncate(time.Second)
}

package keys

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
)

// entry is one stored key row with its decrypted material.
type entry struct {
	meta jeton.SigningKey
	mat  *material
}

// snapshot is an immutable view of every key, swapped in whole by Load, Reload and
// Rotate so that Signer and JWKS read it without a lock.
type snapshot struct {
	entries []entry            // store order (oldest first)
	byAlg   map[string][]entry // newest ActiveAt first
	// transitions are the instants the published set changes (every CreatedAt and
	// UnpublishAt), sorted; the JWKS cache is valid between two of them.
	transitions []time.Time
	jwks        atomic.Pointer[publication]
}

// publication is the JWK Set published during [from, until).
type publication struct {
	from, until time.Time
	json        []byte
	set         jose.JSONWebKeySet
}

func newSnapshot(entries []entry) *snapshot {
	s := &snapshot{entries: entries, byAlg: make(map[string][]entry)}
	for _, e := range entries {
		s.byAlg[e.meta.Alg] = append(s.byAlg[e.meta.Alg], e)
		s.transitions = append(s.transitions, e.meta.CreatedAt)
		if !e.meta.UnpublishAt.IsZero() {
			s.transitions = append(s.transitions, e.meta.UnpublishAt)
		}
	}
	for _, list := range s.byAlg {
		slices.SortStableFunc(list, func(a, b entry) int {
			return cmp.Or(b.meta.ActiveAt.Compare(a.meta.ActiveAt), b.meta.CreatedAt.Compare(a.meta.CreatedAt))
		})
	}
	slices.SortFunc(s.transitions, time.Time.Compare)
	return s
}

// signer returns the newest key of alg that is active at now. A successor still inside
// its publish delay is skipped, so its predecessor keeps signing although the store
// already shows it retired.
func (s *snapshot) signer(alg string, now time.Time) (Signer, error) {
	for _, e := range s.byAlg[alg] {
		if !e.meta.ActiveAt.After(now) {
			return e.mat, nil
		}
	}
	return nil, fmt.Errorf("keys: no active %s signing key", alg)
}

// hasCurrent reports whether some key of alg has not been retired.
func (s *snapshot) hasCurrent(alg string) bool {
	_, ok := s.current(alg)
	return ok
}

// current returns alg's key that no successor has retired (the store keeps at most
// one): the one that signs, or the successor waiting out its publish delay.
func (s *snapshot) current(alg string) (entry, bool) {
	i := slices.IndexFunc(s.byAlg[alg], func(e entry) bool { return e.meta.RetiredAt.IsZero() })
	if i < 0 {
		return entry{}, false
	}
	return s.byAlg[alg][i], true
}

// signing returns the metadata of the key that signs for alg at now (see signer,
// which the hot path calls instead).
func (s *snapshot) signing(alg string, now time.Time) (jeton.SigningKey, bool) {
	for _, e := range s.byAlg[alg] {
		if !e.meta.ActiveAt.After(now) {
			return e.meta, true
		}
	}
	return jeton.SigningKey{}, false
}

// algs lists the algs that have keys, sorted.
func (s *snapshot) algs() []string {
	out := make([]string, 0, len(s.byAlg))
	for alg := range s.byAlg {
		out = append(out, alg)
	}
	slices.Sort(out)
	return out
}

// publication returns the JWK Set for now, rebuilding it only when now has crossed a
// transition since the cached one was built.
func (s *snapshot) publication(now time.Time) *publication {
	if p := s.jwks.Load(); p != nil && !now.Before(p.from) && now.Before(p.until) {
		return p
	}
	p := s.build(now)
	s.jwks.Store(p) // concurrent rebuilds store equal values; any of them may win
	return p
}

func (s *snapshot) build(now time.Time) *publication {
	p := &publication{until: farFuture}
	// transitions is sorted: the last one <= now opens the window, the first one
	// after now closes it.
	i, _ := slices.BinarySearchFunc(s.transitions, now, func(t, target time.Time) int {
		if t.After(target) {
			return 1
		}
		return -1
	})
	if i > 0 {
		p.from = s.transitions[i-1]
	}
	if i < len(s.transitions) {
		p.until = s.transitions[i]
	}
	p.set.Keys = []jose.JSONWebKey{}
	var members [][]byte
	for _, e := range s.entries {
		if published(e.meta, now) {
			p.set.Keys = append(p.set.Keys, e.mat.jwk)
			members = append(members, e.mat.jwkJSON)
		}
	}
	// Each JWK was marshalled (and so validated) when its key was opened; the set is
	// the RFC 7517 §5 object {"keys":[...]} around them.
	p.json = slices.Concat([]byte(`{"keys":[`), bytes.Join(members, []byte(",")), []byte("]}"))
	return p
}

// farFuture closes the JWKS cache window when no transition lies ahead.
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

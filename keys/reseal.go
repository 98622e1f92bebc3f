package keys

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jeton/jeton"
)

// purpose is the additional data a value of kind in row id is sealed with (seal.go).
func purpose(kind jeton.SealedKind, id string) string {
	switch kind {
	case jeton.SealedSigningKey:
		return id
	case jeton.SealedConsoleTOTP:
		return totpAAD + id
	}
	return secretAAD + id
}

// KEKRows counts the sealed values under one KEK.
type KEKRows struct {
	ID string
	// Role is "current", "previous" (in the keyring, accepted for reading) or
	// "unknown" (not in the keyring: its values cannot be opened by this process).
	Role string
	// ByKind counts values per sealed column.
	ByKind map[jeton.SealedKind]int
	// Legacy counts the values among them sealed before KEK ids existed.
	Legacy int
}

// Total is the number of values under this KEK.
func (r KEKRows) Total() int {
	n := 0
	for _, c := range r.ByKind {
		n += c
	}
	return n
}

// SealedStatus is where every sealed value in the store stands.
type SealedStatus struct {
	// KEKs lists every KEK that seals a value, and every KEK of the keyring; the
	// current one first, then the previous ones, then unknown ones.
	KEKs []KEKRows
	// Unreadable names values (kind/id) that no KEK of the keyring opens and that
	// name no KEK: a legacy value under an unknown KEK, or a damaged one.
	Unreadable []string
}

// Pending is how many values are not yet sealed under the current KEK in the
// envelope format: what `jeton kek rotate` still has to do.
func (s SealedStatus) Pending() int {
	n := len(s.Unreadable)
	for _, k := range s.KEKs {
		if k.Role == "current" {
			n += k.Legacy
		} else {
			n += k.Total()
		}
	}
	return n
}

// ResealPage is how many values a KEK rotation reads per store call.
const ResealPage = 100

// Status reads every sealed value and counts them by the KEK that seals them. It
// decrypts only legacy values (which name no KEK); it writes nothing.
func Status(ctx context.Context, store jeton.SealedStore, ring *Keyring) (SealedStatus, error) {
	rows := map[string]*KEKRows{}
	for i, id := range ring.IDs() {
		rows[id] = &KEKRows{ID: id, Role: roleOf(i), ByKind: map[jeton.SealedKind]int{}}
	}
	var unreadable []string
	err := walkSealed(ctx, store, func(v jeton.SealedValue) error {
		id, legacy, err := ring.sealedUnder(purpose(v.Kind, v.ID), v.Sealed)
		if err != nil {
			unreadable = append(unreadable, string(v.Kind)+"/"+v.ID)
			return nil
		}
		r := rows[id]
		if r == nil {
			r = &KEKRows{ID: id, Role: "unknown", ByKind: map[jeton.SealedKind]int{}}
			rows[id] = r
		}
		r.ByKind[v.Kind]++
		if legacy {
			r.Legacy++
		}
		return nil
	})
	if err != nil {
		return SealedStatus{}, err
	}
	st := SealedStatus{Unreadable: unreadable}
	for _, id := range ring.IDs() {
		st.KEKs = append(st.KEKs, *rows[id])
		delete(rows, id)
	}
	var unknown []KEKRows
	for _, r := range rows {
		unknown = append(unknown, *r)
	}
	slices.SortFunc(unknown, func(a, b KEKRows) int { return b.Total() - a.Total() })
	st.KEKs = append(st.KEKs, unknown...)
	return st, nil
}

func roleOf(i int) string {
	if i == 0 {
		return "current"
	}
	return "previous"
}

// walkSealed calls f with every sealed value of every kind, a page at a time.
func walkSealed(ctx context.Context, store jeton.SealedStore, f func(jeton.SealedValue) error) error {
	for _, kind := range jeton.SealedKinds {
		after := ""
		for {
			page, err := store.ListSealed(ctx, kind, after, ResealPage)
			if err != nil {
				return fmt.Errorf("keys: list sealed %s values: %w", kind, err)
			}
			for _, v := range page {
				if err := f(v); err != nil {
					return err
				}
			}
			if len(page) < ResealPage {
				break
			}
			after = page[len(page)-1].ID
		}
	}
	return nil
}

// ResealResult is what one Reseal did.
type ResealResult struct {
	// Resealed counts the values rewritten under the current KEK, per column.
	Resealed map[jeton.SealedKind]int
	// Raced counts values another writer changed between their read and their
	// rewrite; the rewrite was dropped (their new value stands) and a further pass
	// looked at them again.
	Raced int
	// Failed names the values (kind/id: why) that no KEK of the ring opens.
	Failed []string
	// Passes is how many walks over the store were made.
	Passes int
	// Status is the store after the last pass.
	Status SealedStatus
}

// maxResealPasses bounds the walks: a pass that meets no concurrent write ends the
// work, and concurrent writes made by replicas already sealing under the current KEK
// need no further pass.
const maxResealPasses = 5

// ErrResealIncomplete reports values still not under the current KEK after Reseal.
var ErrResealIncomplete = errors.New("keys: some sealed values are not under the current key-encryption key")

// Reseal rewrites every sealed value that is not yet under the ring's current KEK (or
// not yet in the envelope format) under the current KEK, one value per store call
// (ReplaceSealed, a compare-and-swap), so replicas keep serving throughout and a value
// another replica changes meanwhile is never overwritten: that rewrite is dropped and
// the next pass looks at the value again. It returns ErrResealIncomplete when values
// remain (unreadable ones, or ones still changing after the last pass).
func Reseal(ctx context.Context, store jeton.SealedStore, ring *Keyring) (ResealResult, error) {
	res := ResealResult{Resealed: map[jeton.SealedKind]int{}}
	current := ring.keys[0].id
	for res.Passes < maxResealPasses {
		res.Passes++
		raced := 0
		res.Failed = nil
		err := walkSealed(ctx, store, func(v jeton.SealedValue) error {
			if id, ok := envelopeID(v.Sealed); ok && string(id) == string(current[:]) {
				return nil
			}
			p := purpose(v.Kind, v.ID)
			plain, err := ring.open(p, v.Sealed)
			if err != nil {
				res.Failed = append(res.Failed, fmt.Sprintf("%s/%s: %v", v.Kind, v.ID, err))
				return nil
			}
			next := ring.seal(p, plain)
			clear(plain)
			switch err := store.ReplaceSealed(ctx, v.Kind, v.ID, v.Sealed, next); {
			case errors.Is(err, jeton.ErrConflict):
				raced++
			case err != nil:
				return fmt.Errorf("keys: re-seal %s %s: %w", v.Kind, v.ID, err)
			default:
				res.Resealed[v.Kind]++
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		res.Raced += raced
		if raced == 0 {
			break
		}
	}
	st, err := Status(ctx, store, ring)
	if err != nil {
		return res, err
	}
	res.Status = st
	if st.Pending() > 0 {
		return res, fmt.Errorf("%w: %d remain", ErrResealIncomplete, st.Pending())
	}
	return res, nil
}

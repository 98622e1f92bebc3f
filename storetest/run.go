// Package storetest is the conformance and concurrency suite every jeton.Store must
// pass. DESIGN rule 2 gives each backend its own native SQL; this suite is what keeps
// them interchangeable. DESIGN rule 1 makes the single-use methods atomic; the race
// subtests prove it with many goroutines hitting one row at once.
package storetest

import (
	"testing"

	"github.com/jeton/jeton"
)

// Run runs every conformance subtest against stores made by newStore.
//
// newStore is called once per subtest and must return a fresh, migrated, empty store
// that nothing else uses; it registers its own cleanup (Close, dropping the database)
// with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) jeton.Store) {
	t.Helper()
	for _, group := range [][]subtest{
		institutionTests, clientTests, customerTests, keyTests, refreshTests,
		assertionTests, revocationTests, auditTests, contextTests, raceTests,
	} {
		for _, st := range group {
			t.Run(st.name, func(t *testing.T) { st.run(t, newStore(t)) })
		}
	}
}

// subtest is one named check against a fresh store.
type subtest struct {
	name string
	run  func(t *testing.T, s jeton.Store)
}

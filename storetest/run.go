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
// Beyond the jeton.Store doc comments, the suite pins these choices so that both
// backends behave alike:
//   - Times round-trip at microsecond precision (compared as instants, any zone); the
//     zero time round-trips as zero.
//   - Slices and maps read back are never nil (nil is stored as empty); byte slices
//     compare by content, so nil and empty are the same value.
//   - Creating a row that refers to a missing institution or client is ErrNotFound.
//   - RevokeRefreshFamily of an unknown family is ErrNotFound; revoking twice keeps
//     the first RevokedAt.
//   - DeleteSigningKeys deletes only keys whose UnpublishAt is strictly before now.
//   - ListAudit breaks ties in At by append order (last appended first); a Limit of
//     zero or less means the default 100; a page's Next is set exactly when another
//     event follows it, and walking by Next neither repeats nor skips an event, however
//     many are appended during the walk.
//   - A cancelled context fails the call with an error wrapping context.Canceled.
//
// newStore is called once per subtest and must return a fresh, migrated, empty store
// that nothing else uses; it registers its own cleanup (Close, dropping the database)
// with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) jeton.Store) {
	t.Helper()
	for _, group := range [][]subtest{
		institutionTests, clientTests, clientAuditedTests, auditedTests, customerTests, keyTests, keyReplaceTests, sealedTests, kekHolderTests, refreshTests, claimTests, accessTokenTests,
		assertionTests, revocationTests, auditTests, contextTests, raceTests,
		lockoutTests, housekeepingTests, calendarTests, tokenSlotTests, oidcTests, rateLimitTests, consoleTests, consoleUserTests,
		profileTests,
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

package keys

import (
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/storetest/stores"
)

// sharedStores are the real stores that replicas share: the exactly-once tests run on
// each, with several Managers on one database as several serve processes have.
var sharedStores = []testStore{
	{"sqlite", openSQLite},
	{"postgres", func(t *testing.T) jeton.KeyStore { return stores.Postgres(t)(t) }},
}

func forEachSharedStore(t *testing.T, f func(t *testing.T, store jeton.Store)) {
	for _, s := range sharedStores {
		t.Run(s.name, func(t *testing.T) { f(t, s.open(t).(jeton.Store)) })
	}
}

package keys

import (
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

func init() {
	testStores = append(testStores, testStore{"sqlite", openSQLite})
}

func openSQLite(t *testing.T) jeton.KeyStore {
	t.Helper()
	return sqlitetest.New(t)
}

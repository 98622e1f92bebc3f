package postgres_test

import (
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/storetest"
	"github.com/jeton/jeton/storetest/stores"
)

// TestConformance runs the shared Store suite on one throwaway database, giving each
// subtest its own schema (stores.Postgres).
func TestConformance(t *testing.T) {
	newStore := stores.Postgres(t)
	storetest.Run(t, func(t *testing.T) jeton.Store { return newStore(t) })
}

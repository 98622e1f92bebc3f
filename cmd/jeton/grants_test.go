package main

import (
	"testing"

	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
	"github.com/jeton/jeton/token/tokentest"
)

// serve enables every grant jeton implements on the standard endpoint (discovery then
// lists them all): a grant added to jeton.Grants but not wired here fails.
func TestServeEnablesEveryGrant(t *testing.T) {
	a := &app{store: sqlitetest.New(t), kek: make([]byte, 32)}
	pool, err := token.NewHashPool(token.HashPoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	grants, _, err := a.buildGrants(pool)
	if err != nil {
		t.Fatal(err)
	}
	tokentest.CheckJetonGrants(t, "serve's grants", grants)
}

package jeton_test

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// Time ids sort by their time to the millisecond, so inserting them in time order
// appends to an index; ids of one instant still differ in their random part.
func TestNewTimeIDOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 1000 {
		id := jeton.NewTimeID(t0.Add(time.Duration(i) * time.Millisecond))
		if len(id) != 32 || strings.ToLower(id) != id {
			t.Fatalf("id %q: want 32 lowercase hex characters", id)
		}
		if _, err := hex.DecodeString(id); err != nil {
			t.Fatalf("id %q: %v", id, err)
		}
		if id <= prev {
			t.Fatalf("id %q of a later millisecond sorts before %q", id, prev)
		}
		prev = id
	}
	a, b := jeton.NewTimeID(t0), jeton.NewTimeID(t0)
	if a == b || a[:12] != b[:12] {
		t.Fatalf("same instant: %q and %q; want one 48-bit time prefix and different random parts", a, b)
	}
	if got, want := a[:12], "01a2038e7f00"; got != want {
		t.Fatalf("time prefix %s, want %s (Unix milliseconds, big-endian)", got, want)
	}
}

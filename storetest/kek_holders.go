package storetest

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var kekHolderTests = []subtest{
	{"KEKHolders/ReportListForgetRemove", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		a := jeton.KEKHolder{ID: "host-a/1/x", KEKIDs: []string{"new", "old"}, SeenAt: at(0)}
		b := jeton.KEKHolder{ID: "host-b/2/y", KEKIDs: []string{"old"}, SeenAt: at(time.Minute)}
		ok(t, "report a", s.ReportKEKHolder(ctx, a, at(-time.Hour)))
		ok(t, "report b", s.ReportKEKHolder(ctx, b, at(-time.Hour)))
		got, err := s.ListKEKHolders(ctx, at(-time.Hour))
		ok(t, "list", err)
		same(t, "holders, most recently seen first", got, []jeton.KEKHolder{b, a})
		got, err = s.ListKEKHolders(ctx, at(30*time.Second))
		ok(t, "list recent", err)
		same(t, "holders seen since", got, []jeton.KEKHolder{b})

		// A report replaces the holder's row and forgets the ones not seen since.
		a.KEKIDs, a.SeenAt = []string{"new"}, at(2*time.Hour)
		ok(t, "report a again", s.ReportKEKHolder(ctx, a, at(time.Hour)))
		got, err = s.ListKEKHolders(ctx, at(-time.Hour))
		ok(t, "list", err)
		same(t, "holders after b was forgotten", got, []jeton.KEKHolder{a})

		ok(t, "remove a", s.RemoveKEKHolder(ctx, a.ID))
		ok(t, "remove a again", s.RemoveKEKHolder(ctx, a.ID))
		got, err = s.ListKEKHolders(ctx, at(-time.Hour))
		ok(t, "list", err)
		if len(got) != 0 {
			t.Errorf("holders after remove = %v, want none", got)
		}
	}},
}

package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var institutionTests = []subtest{
	{"Institution/RoundTrip", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		a, b := newInstitution("inst-a"), newInstitution("inst-b")
		ok(t, "create a", s.CreateInstitution(ctx, a))
		ok(t, "create b", s.CreateInstitution(ctx, b))
		got, err := s.GetInstitution(ctx, "inst-a")
		ok(t, "get", err)
		same(t, "institution", got, a)

		list, err := s.ListInstitutions(ctx)
		ok(t, "list", err)
		// The contract gives no order for institutions; compare as a set.
		slices.SortFunc(list, func(x, y jeton.Institution) int { return strings.Compare(x.ID, y.ID) })
		same(t, "list", list, []jeton.Institution{a, b})
	}},
	{"Institution/Update", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		a := newInstitution("inst-a")
		ok(t, "create", s.CreateInstitution(ctx, a))
		want := a
		want.Name, want.UpdatedAt = "Renamed Bank", at(time.Hour)
		// CreatedAt is not mutable: a changed value in the update is ignored.
		upd := want
		upd.CreatedAt = at(48 * time.Hour)
		ok(t, "update", s.UpdateInstitution(ctx, upd))
		got, err := s.GetInstitution(ctx, "inst-a")
		ok(t, "get", err)
		same(t, "updated institution", got, want)
	}},
	{"Institution/NotFoundAndConflict", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		_, err := s.GetInstitution(ctx, "missing")
		is(t, "get missing", err, jeton.ErrNotFound)
		is(t, "update missing", s.UpdateInstitution(ctx, newInstitution("missing")), jeton.ErrNotFound)
		list, err := s.ListInstitutions(ctx)
		ok(t, "list empty", err)
		if list == nil || len(list) != 0 {
			t.Errorf("empty list = %#v, want empty non-nil", list)
		}
		ok(t, "create", s.CreateInstitution(ctx, newInstitution("inst-a")))
		is(t, "duplicate id", s.CreateInstitution(ctx, newInstitution("inst-a")), jeton.ErrConflict)
	}},
}

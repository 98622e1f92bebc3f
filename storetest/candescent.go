package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var candescentTests = []subtest{
	{"Candescent/SettingsRoundTrip", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		_, err := s.GetCandescentSettings(ctx, "inst-a")
		is(t, "get before put", err, jeton.ErrNotFound)
		want := jeton.CandescentSettings{InstitutionID: "inst-a", Alias: "01234", V1Enabled: true, UpdatedAt: at(time.Minute)}
		ok(t, "put", s.PutCandescentSettings(ctx, want))
		got, err := s.GetCandescentSettings(ctx, "inst-a")
		ok(t, "get", err)
		same(t, "settings", got, want)
		byAlias, err := s.InstitutionByAlias(ctx, "01234")
		ok(t, "by alias", err)
		same(t, "by alias", byAlias, want)

		// Put replaces: the alias can be dropped, V1 switched off.
		want = jeton.CandescentSettings{InstitutionID: "inst-a", UpdatedAt: at(2 * time.Minute)}
		ok(t, "put again", s.PutCandescentSettings(ctx, want))
		got, err = s.GetCandescentSettings(ctx, "inst-a")
		ok(t, "get again", err)
		same(t, "replaced settings", got, want)
		_, err = s.InstitutionByAlias(ctx, "01234")
		is(t, "dropped alias", err, jeton.ErrNotFound)
		_, err = s.InstitutionByAlias(ctx, "")
		is(t, "empty alias", err, jeton.ErrNotFound)
	}},
	{"Candescent/AliasUniqueAndInstitutionMustExist", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		seed(t, s, "inst-b", "")
		ok(t, "put a", s.PutCandescentSettings(ctx, jeton.CandescentSettings{InstitutionID: "inst-a", Alias: "777", UpdatedAt: at(0)}))
		is(t, "same alias for b", s.PutCandescentSettings(ctx, jeton.CandescentSettings{InstitutionID: "inst-b", Alias: "777", UpdatedAt: at(0)}), jeton.ErrConflict)
		// Two institutions without an alias do not collide.
		ok(t, "no alias a", s.PutCandescentSettings(ctx, jeton.CandescentSettings{InstitutionID: "inst-a", UpdatedAt: at(0)}))
		ok(t, "no alias b", s.PutCandescentSettings(ctx, jeton.CandescentSettings{InstitutionID: "inst-b", UpdatedAt: at(0)}))
		is(t, "missing institution", s.PutCandescentSettings(ctx, jeton.CandescentSettings{InstitutionID: "nope", UpdatedAt: at(0)}), jeton.ErrNotFound)
	}},
	{"Candescent/ClientLinks", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "minter")
		ok(t, "client b", s.CreateClient(ctx, newClient("app-b", "inst-a")))
		ok(t, "client c", s.CreateClient(ctx, newClient("app-c", "inst-a")))
		_, err := s.GetClientLink(ctx, "minter", "app-b")
		is(t, "get before link", err, jeton.ErrNotFound)
		lc := jeton.ClientLink{MinterID: "minter", ClientID: "app-c", CreatedAt: at(time.Second)}
		lb := jeton.ClientLink{MinterID: "minter", ClientID: "app-b", CreatedAt: at(2 * time.Second)}
		ok(t, "link c", s.LinkClients(ctx, lc))
		ok(t, "link b", s.LinkClients(ctx, lb))
		is(t, "link twice", s.LinkClients(ctx, lb), jeton.ErrConflict)
		is(t, "unknown client", s.LinkClients(ctx, jeton.ClientLink{MinterID: "minter", ClientID: "ghost", CreatedAt: at(0)}), jeton.ErrNotFound)
		got, err := s.GetClientLink(ctx, "minter", "app-b")
		ok(t, "get", err)
		same(t, "link", got, lb)
		// Links have a direction.
		_, err = s.GetClientLink(ctx, "app-b", "minter")
		is(t, "reverse link", err, jeton.ErrNotFound)
		list, err := s.ListClientLinks(ctx, "minter")
		ok(t, "list", err)
		same(t, "list", list, []jeton.ClientLink{lb, lc})
		ok(t, "unlink", s.UnlinkClients(ctx, "minter", "app-b"))
		is(t, "unlink twice", s.UnlinkClients(ctx, "minter", "app-b"), jeton.ErrNotFound)
		list, err = s.ListClientLinks(ctx, "app-c")
		ok(t, "list empty", err)
		if list == nil || len(list) != 0 {
			t.Errorf("empty list = %#v, want empty non-nil", list)
		}
	}},
	{"Candescent/RacingAliases", func(t *testing.T, s jeton.Store) {
		// N institutions claim one alias at once: exactly one gets it.
		ctx := t.Context()
		for i := range racers {
			seed(t, s, instName(i), "")
		}
		errs := race(func(i int) error {
			return s.PutCandescentSettings(ctx, jeton.CandescentSettings{InstitutionID: instName(i), Alias: "01234", UpdatedAt: at(0)})
		})
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, jeton.ErrConflict):
				t.Errorf("racer %d: %v, want nil or ErrConflict", i, err)
			}
		}
		if won != 1 {
			t.Errorf("%d institutions got the alias, want 1", won)
		}
	}},
}

func instName(i int) string { return "inst-" + string(rune('a'+i/26)) + string(rune('a'+i%26)) }

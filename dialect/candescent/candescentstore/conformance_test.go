package candescentstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
	"github.com/jeton/jeton/storetest"
	"github.com/jeton/jeton/storetest/stores"
)

// store is what the suite runs on: a core store that also keeps Candescent's state.
type store interface {
	jeton.Store
	candescentstore.Store
}

// TestConformance runs Candescent's store suite on both backends: the SQLite and
// PostgreSQL implementations live in sqlite/candescent.go and postgres/candescent.go.
func TestConformance(t *testing.T) {
	stores.Both(t, append(cases, storetest.AuditedCases(audited)...))
}

// audited proves the admin routes' changes commit with their audit events.
var audited = []storetest.Audited[store]{
	{Name: "PutCandescentSettings",
		Prepare: func(t *testing.T, s store) { storetest.Seed(t, s, "inst-a", "") },
		Change: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.PutCandescentSettingsAudited(ctx, candescentstore.Settings{InstitutionID: "inst-a", Alias: "0123", UpdatedAt: storetest.At(0)}, ev)
		},
		Applied: func(t *testing.T, s store) bool {
			_, err := s.GetCandescentSettings(t.Context(), "inst-a")
			return !errors.Is(err, jeton.ErrNotFound)
		},
		Fail: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.PutCandescentSettingsAudited(ctx, candescentstore.Settings{InstitutionID: "missing", UpdatedAt: storetest.At(0)}, ev)
		}},
	{Name: "LinkClients",
		Prepare: func(t *testing.T, s store) {
			storetest.Seed(t, s, "inst-a", "minter")
			storetest.OK(t, "client", s.CreateClient(t.Context(), storetest.NewClient("app", "inst-a")))
		},
		Change: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.LinkClientsAudited(ctx, candescentstore.ClientLink{MinterID: "minter", ClientID: "app", CreatedAt: storetest.At(0)}, ev)
		},
		Applied: func(t *testing.T, s store) bool {
			_, err := s.GetClientLink(t.Context(), "minter", "app")
			return !errors.Is(err, jeton.ErrNotFound)
		},
		Fail: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.LinkClientsAudited(ctx, candescentstore.ClientLink{MinterID: "minter", ClientID: "ghost", CreatedAt: storetest.At(0)}, ev)
		}},
	{Name: "UnlinkClients",
		Prepare: func(t *testing.T, s store) {
			storetest.Seed(t, s, "inst-a", "minter")
			storetest.OK(t, "client", s.CreateClient(t.Context(), storetest.NewClient("app", "inst-a")))
			storetest.OK(t, "link", s.LinkClients(t.Context(), candescentstore.ClientLink{MinterID: "minter", ClientID: "app", CreatedAt: storetest.At(0)}))
		},
		Change: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.UnlinkClientsAudited(ctx, "minter", "app", ev)
		},
		Applied: func(t *testing.T, s store) bool {
			_, err := s.GetClientLink(t.Context(), "minter", "app")
			return errors.Is(err, jeton.ErrNotFound)
		},
		Fail: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.UnlinkClientsAudited(ctx, "minter", "ghost", ev)
		}},
}

var cases = []storetest.Case[store]{
	{Name: "Candescent/SettingsRoundTrip", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "")
		_, err := s.GetCandescentSettings(ctx, "inst-a")
		storetest.Is(t, "get before put", err, jeton.ErrNotFound)
		want := candescentstore.Settings{InstitutionID: "inst-a", Alias: "01234", V1Enabled: true, UpdatedAt: storetest.At(time.Minute)}
		storetest.OK(t, "put", s.PutCandescentSettings(ctx, want))
		got, err := s.GetCandescentSettings(ctx, "inst-a")
		storetest.OK(t, "get", err)
		storetest.Same(t, "settings", got, want)
		byAlias, err := s.InstitutionByAlias(ctx, "01234")
		storetest.OK(t, "by alias", err)
		storetest.Same(t, "by alias", byAlias, want)

		// Put replaces: the alias can be dropped, V1 switched off.
		want = candescentstore.Settings{InstitutionID: "inst-a", UpdatedAt: storetest.At(2 * time.Minute)}
		storetest.OK(t, "put again", s.PutCandescentSettings(ctx, want))
		got, err = s.GetCandescentSettings(ctx, "inst-a")
		storetest.OK(t, "get again", err)
		storetest.Same(t, "replaced settings", got, want)
		_, err = s.InstitutionByAlias(ctx, "01234")
		storetest.Is(t, "dropped alias", err, jeton.ErrNotFound)
		_, err = s.InstitutionByAlias(ctx, "")
		storetest.Is(t, "empty alias", err, jeton.ErrNotFound)
	}},
	{Name: "Candescent/AliasUniqueAndInstitutionMustExist", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "")
		storetest.Seed(t, s, "inst-b", "")
		storetest.OK(t, "put a", s.PutCandescentSettings(ctx, candescentstore.Settings{InstitutionID: "inst-a", Alias: "777", UpdatedAt: storetest.At(0)}))
		storetest.Is(t, "same alias for b", s.PutCandescentSettings(ctx, candescentstore.Settings{InstitutionID: "inst-b", Alias: "777", UpdatedAt: storetest.At(0)}), jeton.ErrConflict)
		// Two institutions without an alias do not collide.
		storetest.OK(t, "no alias a", s.PutCandescentSettings(ctx, candescentstore.Settings{InstitutionID: "inst-a", UpdatedAt: storetest.At(0)}))
		storetest.OK(t, "no alias b", s.PutCandescentSettings(ctx, candescentstore.Settings{InstitutionID: "inst-b", UpdatedAt: storetest.At(0)}))
		storetest.Is(t, "missing institution", s.PutCandescentSettings(ctx, candescentstore.Settings{InstitutionID: "nope", UpdatedAt: storetest.At(0)}), jeton.ErrNotFound)
	}},
	{Name: "Candescent/ClientLinks", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "minter")
		storetest.OK(t, "client b", s.CreateClient(ctx, storetest.NewClient("app-b", "inst-a")))
		storetest.OK(t, "client c", s.CreateClient(ctx, storetest.NewClient("app-c", "inst-a")))
		_, err := s.GetClientLink(ctx, "minter", "app-b")
		storetest.Is(t, "get before link", err, jeton.ErrNotFound)
		lc := candescentstore.ClientLink{MinterID: "minter", ClientID: "app-c", CreatedAt: storetest.At(time.Second)}
		lb := candescentstore.ClientLink{MinterID: "minter", ClientID: "app-b", CreatedAt: storetest.At(2 * time.Second)}
		storetest.OK(t, "link c", s.LinkClients(ctx, lc))
		storetest.OK(t, "link b", s.LinkClients(ctx, lb))
		storetest.Is(t, "link twice", s.LinkClients(ctx, lb), jeton.ErrConflict)
		storetest.Is(t, "unknown client", s.LinkClients(ctx, candescentstore.ClientLink{MinterID: "minter", ClientID: "ghost", CreatedAt: storetest.At(0)}), jeton.ErrNotFound)
		got, err := s.GetClientLink(ctx, "minter", "app-b")
		storetest.OK(t, "get", err)
		storetest.Same(t, "link", got, lb)
		// Links have a direction.
		_, err = s.GetClientLink(ctx, "app-b", "minter")
		storetest.Is(t, "reverse link", err, jeton.ErrNotFound)
		list, err := s.ListClientLinks(ctx, "minter")
		storetest.OK(t, "list", err)
		storetest.Same(t, "list", list, []candescentstore.ClientLink{lb, lc})
		storetest.OK(t, "unlink", s.UnlinkClients(ctx, "minter", "app-b"))
		storetest.Is(t, "unlink twice", s.UnlinkClients(ctx, "minter", "app-b"), jeton.ErrNotFound)
		list, err = s.ListClientLinks(ctx, "app-c")
		storetest.OK(t, "list empty", err)
		if list == nil || len(list) != 0 {
			t.Errorf("empty list = %#v, want empty non-nil", list)
		}
	}},
	{Name: "Candescent/RacingAliases", Run: func(t *testing.T, s store) {
		// N institutions claim one alias at once: exactly one gets it.
		ctx := t.Context()
		for i := range storetest.Racers {
			storetest.Seed(t, s, instName(i), "")
		}
		errs := storetest.Race(func(i int) error {
			return s.PutCandescentSettings(ctx, candescentstore.Settings{InstitutionID: instName(i), Alias: "01234", UpdatedAt: storetest.At(0)})
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

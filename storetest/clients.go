package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var clientTests = []subtest{
	{"Clients/SearchPages", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		seed(t, s, "inst-b", "")
		var want []string
		for i := range 7 {
			c := newClient(fmt.Sprintf("c-%d", i), "inst-a")
			c.Name = fmt.Sprintf("App %d", i)
			c.CreatedAt = at(time.Duration(i/2) * time.Second) // pairs share a CreatedAt: the id breaks the tie
			if i == 5 {
				c.Status = jeton.ClientDeleted
			} else {
				want = append(want, c.ID)
			}
			ok(t, "create", s.CreateClient(ctx, c))
		}
		other := newClient("b-1", "inst-b")
		other.Name = "Other app 1"
		ok(t, "create in b", s.CreateClient(ctx, other))
		ids := func(list []jeton.Client) []string {
			out := []string{}
			for _, c := range list {
				out = append(out, c.ID)
			}
			return out
		}
		var got []string
		after := jeton.Client{}
		for {
			page, err := s.SearchClients(ctx, "inst-a", "", after, 2)
			ok(t, "page", err)
			if len(page) == 0 {
				break
			}
			got = append(got, ids(page)...)
			after = page[len(page)-1]
		}
		same(t, "every live client of inst-a in pages of 2", got, want)
		page, err := s.SearchClients(ctx, "", "app 1", jeton.Client{}, 10)
		ok(t, "search", err)
		same(t, "name contains 'app 1', any case, every institution", ids(page), []string{"c-1", "b-1"})
		page, err = s.SearchClients(ctx, "inst-a", "c-4", jeton.Client{}, 10)
		ok(t, "by id", err)
		same(t, "by id", ids(page), []string{"c-4"})
	}},
	{"Client/RoundTripEveryField", func(t *testing.T, s jeton.Store) {
		seed(t, s, "inst-a", "")
		want := newClient("client-a", "inst-a")
		ok(t, "create", s.CreateClient(t.Context(), want))
		got, err := s.GetClient(t.Context(), "client-a")
		ok(t, "get", err)
		same(t, "client", got, want)
	}},
	{"Client/NilSlicesReadAsEmpty", func(t *testing.T, s jeton.Store) {
		seed(t, s, "inst-a", "")
		ok(t, "create", s.CreateClient(t.Context(), newBareClient("bare", "inst-a")))
		got, err := s.GetClient(t.Context(), "bare")
		ok(t, "get", err)
		want := newBareClient("bare", "inst-a")
		want.PublicKeys = []jeton.ClientKey{}
		want.Institutions, want.Grants, want.Scopes = []string{}, []string{}, []string{}
		want.DefaultScopes, want.RedirectURIs = []string{}, []string{}
		want.AuthorizationDetailsTypes = []string{}
		same(t, "bare client", got, want)
	}},
	{"Client/Update", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		seed(t, s, "inst-b", "")
		orig := newClient("client-a", "inst-a")
		upd := newBareClient("client-a", "inst-a")
		upd.Name, upd.Status = "renamed", jeton.ClientDeleted
		upd.SecretDigest = jeton.Digest("rotated")
		upd.Grants = []string{jeton.GrantPassword}
		upd.AccessTokenTTL = time.Hour
		upd.UpdatedAt = at(time.Hour)
		// ID, InstitutionID and CreatedAt are immutable; the store must ignore them.
		sent := upd
		sent.InstitutionID, sent.CreatedAt = "inst-b", at(99*time.Hour)
		ok(t, "update", s.UpdateClient(ctx, sent))
		got, err := s.GetClient(ctx, "client-a")
		ok(t, "get", err)
		want := upd
		want.CreatedAt = orig.CreatedAt
		want.PublicKeys = []jeton.ClientKey{}
		want.Institutions, want.Scopes, want.DefaultScopes, want.RedirectURIs = []string{}, []string{}, []string{}, []string{}
		want.AuthorizationDetailsTypes = []string{}
		same(t, "updated client", got, want)
	}},
	{"Client/NotFoundAndConflict", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		_, err := s.GetClient(ctx, "missing")
		is(t, "get missing", err, jeton.ErrNotFound)
		is(t, "update missing", s.UpdateClient(ctx, newClient("missing", "inst-a")), jeton.ErrNotFound)
		// Client ids are global: a duplicate in another institution still conflicts.
		seed(t, s, "inst-b", "")
		is(t, "duplicate id", s.CreateClient(ctx, newClient("client-a", "inst-b")), jeton.ErrConflict)
		// A client of an institution that does not exist names a missing row.
		is(t, "unknown institution", s.CreateClient(ctx, newClient("client-x", "nowhere")), jeton.ErrNotFound)
	}},
	{"Client/ListScopedAndOrdered", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		seed(t, s, "inst-b", "")
		// Created out of order; ListClients orders by CreatedAt, then ID.
		a2 := newClient("a-2", "inst-a")
		a1 := newClient("a-1", "inst-a")
		a3 := newBareClient("a-3", "inst-a")
		a3.CreatedAt = a1.CreatedAt.Add(-time.Hour)
		b1 := newClient("b-1", "inst-b")
		b1.CreatedAt = a3.CreatedAt.Add(-time.Hour)
		for _, c := range []jeton.Client{a2, b1, a1, a3} {
			ok(t, "create "+c.ID, s.CreateClient(ctx, c))
		}
		a3.PublicKeys, a3.Institutions, a3.Grants = []jeton.ClientKey{}, []string{}, []string{}
		a3.Scopes, a3.DefaultScopes, a3.RedirectURIs = []string{}, []string{}, []string{}
		a3.AuthorizationDetailsTypes = []string{}

		got, err := s.ListClients(ctx, "inst-a")
		ok(t, "list a", err)
		same(t, "clients of inst-a", got, []jeton.Client{a3, a1, a2})
		got, err = s.ListClients(ctx, "inst-b")
		ok(t, "list b", err)
		same(t, "clients of inst-b", got, []jeton.Client{b1})
		got, err = s.ListClients(ctx, "")
		ok(t, "list all", err)
		same(t, "all clients", got, []jeton.Client{b1, a3, a1, a2})
		got, err = s.ListClients(ctx, "inst-none")
		ok(t, "list none", err)
		if got == nil || len(got) != 0 {
			t.Errorf("clients of unknown institution = %#v, want empty non-nil", got)
		}
	}},
}

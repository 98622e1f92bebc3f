package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

var customerTests = []subtest{
	{"Customer/RoundTripEveryField", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		want := newCustomer("cust-1", "inst-a", "ada")
		ok(t, "create", s.CreateCustomer(ctx, want))
		got, err := s.GetCustomer(ctx, "inst-a", "cust-1")
		ok(t, "get", err)
		same(t, "customer", got, want)
		got, err = s.GetCustomerByUsername(ctx, "inst-a", "ada")
		ok(t, "get by username", err)
		same(t, "customer by username", got, want)
	}},
	{"Customer/NilClaimsReadAsEmpty", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		c := newCustomer("cust-1", "inst-a", "ada")
		c.Claims, c.LockedUntil, c.FailedAttempts = nil, time.Time{}, 0
		ok(t, "create", s.CreateCustomer(ctx, c))
		got, err := s.GetCustomer(ctx, "inst-a", "cust-1")
		ok(t, "get", err)
		c.Claims = map[string]any{}
		same(t, "customer", got, c)
	}},
	{"Customer/UsernameUniquePerInstitution", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		seed(t, s, "inst-b", "")
		ok(t, "create", s.CreateCustomer(ctx, newCustomer("cust-1", "inst-a", "ada")))
		is(t, "same username, same institution",
			s.CreateCustomer(ctx, newCustomer("cust-2", "inst-a", "ada")), jeton.ErrConflict)
		ok(t, "same username, other institution",
			s.CreateCustomer(ctx, newCustomer("cust-3", "inst-b", "ada")))
		is(t, "duplicate id", s.CreateCustomer(ctx, newCustomer("cust-1", "inst-a", "bob")), jeton.ErrConflict)
		is(t, "unknown institution", s.CreateCustomer(ctx, newCustomer("cust-9", "nowhere", "eve")), jeton.ErrNotFound)

		// Renaming onto a taken username conflicts too.
		ok(t, "create bob", s.CreateCustomer(ctx, newCustomer("cust-4", "inst-a", "bob")))
		is(t, "rename onto taken username",
			s.UpdateCustomer(ctx, newCustomer("cust-4", "inst-a", "ada")), jeton.ErrConflict)
	}},
	{"Customer/Update", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		orig := newCustomer("cust-1", "inst-a", "ada")
		ok(t, "create", s.CreateCustomer(ctx, orig))
		upd := orig
		upd.Username, upd.PasswordHash = "ada.l", "$argon2id$v=19$m=65536,t=3,p=2$bmV3$bmV3"
		upd.Claims = map[string]any{"name": "Ada King"}
		upd.Status, upd.FailedAttempts, upd.LockedUntil = jeton.CustomerDisabled, 0, time.Time{}
		upd.UpdatedAt = at(time.Hour)
		sent := upd
		sent.CreatedAt = at(99 * time.Hour) // immutable: ignored
		ok(t, "update", s.UpdateCustomer(ctx, sent))
		got, err := s.GetCustomer(ctx, "inst-a", "cust-1")
		ok(t, "get", err)
		same(t, "updated customer", got, upd)
		_, err = s.GetCustomerByUsername(ctx, "inst-a", "ada")
		is(t, "old username", err, jeton.ErrNotFound)
	}},
	{"Customer/TenantIsolation", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		seed(t, s, "inst-b", "")
		a1, a2 := newCustomer("a-1", "inst-a", "ada"), newCustomer("a-2", "inst-a", "alan")
		b1 := newCustomer("b-1", "inst-b", "bob")
		for _, c := range []jeton.Customer{a1, b1, a2} {
			ok(t, "create "+c.ID, s.CreateCustomer(ctx, c))
		}
		_, err := s.GetCustomer(ctx, "inst-a", "b-1")
		is(t, "get other tenant's customer", err, jeton.ErrNotFound)
		_, err = s.GetCustomerByUsername(ctx, "inst-a", "bob")
		is(t, "get other tenant's username", err, jeton.ErrNotFound)
		_, err = s.GetCustomer(ctx, "inst-a", "missing")
		is(t, "get missing", err, jeton.ErrNotFound)

		moved := b1
		moved.InstitutionID, moved.Username = "inst-a", "mallory"
		is(t, "update with wrong institution", s.UpdateCustomer(ctx, moved), jeton.ErrNotFound)
		got, err := s.GetCustomer(ctx, "inst-b", "b-1")
		ok(t, "get b-1", err)
		same(t, "untouched customer", got, b1)

		list, err := s.ListCustomers(ctx, "inst-a")
		ok(t, "list", err)
		// The contract gives no order for customers; compare as a set.
		slices.SortFunc(list, func(x, y jeton.Customer) int { return strings.Compare(x.ID, y.ID) })
		same(t, "customers of inst-a", list, []jeton.Customer{a1, a2})
		list, err = s.ListCustomers(ctx, "inst-none")
		ok(t, "list none", err)
		if list == nil || len(list) != 0 {
			t.Errorf("customers of unknown institution = %#v, want empty non-nil", list)
		}
	}},
	{"Customers/SearchPages", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		seed(t, s, "inst-b", "")
		for _, u := range []string{"carol", "anna", "bob", "anton", "annabel", "zed"} {
			ok(t, "create "+u, s.CreateCustomer(ctx, newCustomer("a-"+u, "inst-a", u)))
		}
		ok(t, "create in b", s.CreateCustomer(ctx, newCustomer("b-ann", "inst-b", "ann")))
		names := func(list []jeton.Customer) []string {
			out := []string{}
			for _, c := range list {
				out = append(out, c.Username)
			}
			return out
		}
		page, err := s.SearchCustomers(ctx, "inst-a", "", "", 4)
		ok(t, "first page", err)
		same(t, "first page", names(page), []string{"anna", "annabel", "anton", "bob"})
		page, err = s.SearchCustomers(ctx, "inst-a", "", "bob", 4)
		ok(t, "second page", err)
		same(t, "second page", names(page), []string{"carol", "zed"})
		page, err = s.SearchCustomers(ctx, "inst-a", "ann", "", 10)
		ok(t, "prefix", err)
		same(t, "prefix ann in inst-a", names(page), []string{"anna", "annabel"})
		page, err = s.SearchCustomers(ctx, "inst-a", "ann", "anna", 10)
		ok(t, "prefix after", err)
		same(t, "prefix ann after anna", names(page), []string{"annabel"})
		page, err = s.SearchCustomers(ctx, "inst-none", "", "", 10)
		ok(t, "unknown institution", err)
		if page == nil || len(page) != 0 {
			t.Errorf("unknown institution: %#v, want empty non-nil", page)
		}
	}},
}

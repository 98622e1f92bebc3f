package storetest

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// profileTests pin the client profile of issue 18 part 5 (docs/fapi2.md): an
// institution's DefaultProfile round-trips and is updatable, and every read of a
// client carries its institution's current DefaultProfile as InstitutionProfile,
// next to the client's own Profile, which the client's writes never touch.
var profileTests = []subtest{
	{"Profile/InstitutionDefault", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		in := newInstitution("inst-a")
		in.DefaultProfile = "fapi2"
		ok(t, "create", s.CreateInstitution(ctx, in))
		got, err := s.GetInstitution(ctx, "inst-a")
		ok(t, "get", err)
		same(t, "institution", got, in)
		in.DefaultProfile, in.UpdatedAt = "", at(time.Hour)
		ok(t, "update", s.UpdateInstitution(ctx, in))
		got, err = s.GetInstitution(ctx, "inst-a")
		ok(t, "get after update", err)
		same(t, "updated institution", got, in)
	}},
	{"Profile/ClientReadsInstitutionDefault", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		in := newInstitution("inst-a")
		ok(t, "create institution", s.CreateInstitution(ctx, in))
		own, inherits := newClient("own", "inst-a"), newClient("inherits", "inst-a")
		own.Profile, inherits.Profile = "fapi2", ""
		ok(t, "create own", s.CreateClient(ctx, own))
		ok(t, "create inherits", s.CreateClient(ctx, inherits))
		check := func(when, wantInst string) {
			t.Helper()
			for _, c := range []jeton.Client{own, inherits} {
				got, err := s.GetClient(ctx, c.ID)
				ok(t, when+" get "+c.ID, err)
				if got.Profile != c.Profile || got.InstitutionProfile != wantInst {
					t.Errorf("%s: %s profile %q institution %q, want %q and %q", when, c.ID, got.Profile, got.InstitutionProfile, c.Profile, wantInst)
				}
			}
			list, err := s.ListClients(ctx, "inst-a")
			ok(t, when+" list", err)
			page, err := s.SearchClients(ctx, "inst-a", "", jeton.Client{}, 10)
			ok(t, when+" search", err)
			for _, c := range append(list, page...) {
				if c.InstitutionProfile != wantInst {
					t.Errorf("%s: listed %s institution profile %q, want %q", when, c.ID, c.InstitutionProfile, wantInst)
				}
			}
		}
		check("before", "")
		in.DefaultProfile, in.UpdatedAt = "fapi2", at(time.Hour)
		ok(t, "set default", s.UpdateInstitution(ctx, in))
		check("after", "fapi2")
		got, err := s.GetClient(ctx, "inherits")
		ok(t, "get inherits", err)
		if got.EffectiveProfile() != "fapi2" {
			t.Errorf("effective profile %q, want fapi2 from the institution", got.EffectiveProfile())
		}
		// A client write carries InstitutionProfile only as a read value: writing a
		// client never changes its institution.
		got.InstitutionProfile, got.UpdatedAt = "", at(2*time.Hour)
		ok(t, "update client", s.UpdateClient(ctx, got))
		inst, err := s.GetInstitution(ctx, "inst-a")
		ok(t, "get institution", err)
		if inst.DefaultProfile != "fapi2" {
			t.Errorf("institution default %q after a client update, want fapi2", inst.DefaultProfile)
		}
	}},
}

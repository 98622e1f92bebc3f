package adminapi_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

func TestHoursSetShowClear(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst, err := e.c.CreateInstitution(ctx, "Abbey Bank")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.GetHours(ctx, inst.ID); !isStatus(err, http.StatusNotFound) {
		t.Fatalf("no calendar yet: %v, want 404", err)
	}
	// e.now is Wednesday 2030-01-02 03:04:05 UTC: closed until 07:00 London (GMT).
	v, err := e.c.SetHours(ctx, inst.ID, adminapi.HoursInput{TimeZone: "Europe/London",
		Windows: []string{"Mon-Fri 07:00-19:00"}, Closed: []string{"2030-12-25"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Windows) != 5 || v.OpenNow || v.NextOpening == nil ||
		!v.NextOpening.Equal(time.Date(2030, 1, 2, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("set answered %+v", v)
	}
	got, err := e.c.GetHours(ctx, inst.ID)
	if err != nil || got.TimeZone != "Europe/London" || len(got.Closed) != 1 || got.Closed[0].String() != "2030-12-25" {
		t.Errorf("show: %+v, %v", got, err)
	}
	if err := e.c.ClearHours(ctx, inst.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.c.ClearHours(ctx, inst.ID); err != nil {
		t.Errorf("clearing twice: %v", err)
	}
	if _, err := e.c.GetHours(ctx, inst.ID); !isStatus(err, http.StatusNotFound) {
		t.Errorf("after clear: %v, want 404", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !slices.Equal(e.calendars, []string{inst.ID, inst.ID, inst.ID}) {
		t.Errorf("calendar invalidations %v, want one per change", e.calendars)
	}
	page, err := e.store.ListAudit(ctx, jeton.AuditFilter{InstitutionID: inst.ID})
	events := page.Events
	if err != nil || len(events) < 2 || events[0].Action != "institution.hours.clear" || events[1].Action != "institution.hours.set" {
		t.Errorf("audit %+v, %v", events, err)
	}
}

func TestHoursRejects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst, err := e.c.CreateInstitution(ctx, "Abbey Bank")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		in    adminapi.HoursInput
		field string
	}{
		{"no time zone", adminapi.HoursInput{Windows: []string{"Mon 09:00-17:00"}}, "time_zone"},
		{"unknown time zone", adminapi.HoursInput{TimeZone: "Europe/Atlantis", Windows: []string{"Mon 09:00-17:00"}}, "time_zone"},
		{"no windows", adminapi.HoursInput{TimeZone: "UTC"}, "windows"},
		{"bad window", adminapi.HoursInput{TimeZone: "UTC", Windows: []string{"Mon 9-17"}}, "windows"},
		{"empty window", adminapi.HoursInput{TimeZone: "UTC", Windows: []string{"Mon 09:00-09:00"}}, "windows"},
		{"bad date", adminapi.HoursInput{TimeZone: "UTC", Windows: []string{"Mon 09:00-17:00"}, Closed: []string{"25/12/2030"}}, "closed"},
	}
	for _, tt := range tests {
		_, err := e.c.SetHours(ctx, inst.ID, tt.in)
		var ae *adminapi.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Field != tt.field {
			t.Errorf("%s: %v, want 400 on %s", tt.name, err, tt.field)
		}
	}
	if _, err := e.c.SetHours(ctx, "no-such-inst", adminapi.HoursInput{TimeZone: "UTC", Windows: []string{"Mon 09:00-17:00"}}); !isStatus(err, http.StatusNotFound) {
		t.Errorf("unknown institution: %v, want 404", err)
	}
	if err := e.c.ClearHours(ctx, "no-such-inst"); !isStatus(err, http.StatusNotFound) {
		t.Errorf("clear for an unknown institution: %v, want 404", err)
	}
	if a := e.raw(http.MethodPut, "/admin/v1/institutions/"+inst.ID+"/hours", `{"time_zone":"UTC","windows":["Mon 09:00-17:00"],"open":true}`); a.status != 400 || a.err.Field != "open" {
		t.Errorf("unknown field: %d %+v", a.status, a.err)
	}
}

func TestClientMaxActiveTokens(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst, err := e.c.CreateInstitution(ctx, "Abbey Bank")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "fx desk", AuthMethod: jeton.AuthSecretPost})
	if err != nil || cl.MaxActiveTokens != 0 {
		t.Fatalf("default cap %d, %v; want 0 (off)", cl.MaxActiveTokens, err)
	}
	up, err := e.c.UpdateClient(ctx, cl.ClientID, adminapi.ClientUpdate{MaxActiveTokens: adminapi.Ptr(3)})
	if err != nil || up.MaxActiveTokens != 3 {
		t.Fatalf("update: %+v, %v", up, err)
	}
	stored, err := e.store.GetClient(ctx, cl.ClientID)
	if err != nil || stored.MaxActiveTokens != 3 {
		t.Errorf("stored cap %d, %v", stored.MaxActiveTokens, err)
	}
	for _, bad := range []int{-1, 10001} {
		_, err := e.c.UpdateClient(ctx, cl.ClientID, adminapi.ClientUpdate{MaxActiveTokens: adminapi.Ptr(bad)})
		var ae *adminapi.APIError
		if !errors.As(err, &ae) || ae.Field != "max_active_tokens" {
			t.Errorf("cap %d: %v, want a max_active_tokens error", bad, err)
		}
	}
	if up, err := e.c.UpdateClient(ctx, cl.ClientID, adminapi.ClientUpdate{MaxActiveTokens: adminapi.Ptr(0)}); err != nil || up.MaxActiveTokens != 0 {
		t.Errorf("removing the cap: %+v, %v", up, err)
	}
}

func isStatus(err error, status int) bool {
	var ae *adminapi.APIError
	return errors.As(err, &ae) && ae.Status == status
}

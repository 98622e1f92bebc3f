package adminapi

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/jeton/jeton"
)

// HoursInput sets an institution's working-hours calendar (issue 7). Windows are
// "DAYS HH:MM-HH:MM" ("Mon-Fri 07:00-19:00"; a window whose end is not after its start
// crosses midnight; 24:00 is midnight), closed dates YYYY-MM-DD, the time zone an IANA
// name.
type HoursInput struct {
	TimeZone string   `json:"time_zone"`
	Windows  []string `json:"windows"`
	Closed   []string `json:"closed,omitempty"`
}

// HoursView is a stored calendar: windows one day each, and the next opening as of
// the request (equal to "now" while open).
type HoursView struct {
	InstitutionID string         `json:"institution_id"`
	TimeZone      string         `json:"time_zone"`
	Windows       []jeton.Window `json:"windows"`
	Closed        []jeton.Date   `json:"closed"`
	OpenNow       bool           `json:"open_now"`
	NextOpening   *time.Time     `json:"next_opening,omitempty"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

func hoursView(c *jeton.Calendar, now time.Time) HoursView {
	v := HoursView{InstitutionID: c.InstitutionID, TimeZone: c.TimeZone, Windows: nonNil(c.Windows),
		Closed: nonNil(c.Closed), OpenNow: c.Open(now), UpdatedAt: c.UpdatedAt}
	if next := c.NextOpening(now); !next.IsZero() {
		next = next.In(c.Location())
		v.NextOpening = &next
	}
	return v
}

// parseHours validates in into a calendar for institutionID, naming the field at
// fault.
func parseHours(institutionID string, in HoursInput) (*jeton.Calendar, error) {
	if _, err := time.LoadLocation(in.TimeZone); in.TimeZone == "" || err != nil {
		return nil, fieldError("time_zone", "must be an IANA time zone such as Europe/London, got %q", in.TimeZone)
	}
	var windows []jeton.Window
	for _, s := range in.Windows {
		ws, err := jeton.ParseWindows(s)
		if err != nil {
			return nil, fieldError("windows", "%v", err)
		}
		windows = append(windows, ws...)
	}
	dates := make([]jeton.Date, 0, len(in.Closed))
	for _, s := range in.Closed {
		d, err := jeton.ParseDate(s)
		if err != nil {
			return nil, fieldError("closed", "%v", err)
		}
		dates = append(dates, d)
	}
	c, err := jeton.NewCalendar(institutionID, in.TimeZone, windows, dates)
	if errors.Is(err, jeton.ErrInvalidCalendar) {
		field := "windows"
		if len(windows) > 0 && len(windows) <= maxCalendarItems {
			field = "closed"
		}
		return nil, fieldError(field, "%v", err)
	}
	return c, err
}

// maxCalendarItems is jeton.NewCalendar's bound on windows and on closed dates.
const maxCalendarItems = 1000

// putHours is PUT /admin/v1/institutions/{id}/hours: create or replace.
func (s *server) putHours(w http.ResponseWriter, r *http.Request) error {
	var in HoursInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := parseHours(id, in)
	if err != nil {
		return err
	}
	now := s.now()
	c.UpdatedAt = now
	ctx := r.Context()
	before, err := s.cfg.Store.GetCalendar(ctx, id)
	if err != nil && !errors.Is(err, jeton.ErrNotFound) {
		return err
	}
	details := jeton.AuditChange(orNil(calendarState(before), err), calendarState(c))
	details["time_zone"] = c.TimeZone
	if err := s.cfg.Store.PutCalendarAudited(ctx, c, s.event(ctx, id, jeton.ActionInstitutionHoursSet, id, details)); err != nil {
		return storeError(err, "institution")
	}
	s.invalidateCalendar(id)
	writeJSON(w, http.StatusOK, hoursView(c, now))
	return nil
}

// getHours is GET /admin/v1/institutions/{id}/hours.
func (s *server) getHours(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Store.GetCalendar(r.Context(), r.PathValue("id"))
	if err != nil {
		return storeError(err, "working-hours calendar")
	}
	writeJSON(w, http.StatusOK, hoursView(c, s.now()))
	return nil
}

// deleteHours is DELETE /admin/v1/institutions/{id}/hours: always open again.
// Clearing a calendar that does not exist is not an error (RFC 9110 §9.2.2).
func (s *server) deleteHours(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := s.cfg.Store.GetInstitution(ctx, id); err != nil {
		return storeError(err, "institution")
	}
	// Deleting and recording happen only when there is a calendar: clearing none
	// changes nothing, so it is not audited.
	before, err := s.cfg.Store.GetCalendar(ctx, id)
	if err == nil {
		ev := s.event(ctx, id, jeton.ActionInstitutionHoursClear, id, jeton.AuditChange(calendarState(before), nil))
		err = s.cfg.Store.DeleteCalendarAudited(ctx, id, ev)
	}
	if err != nil && !errors.Is(err, jeton.ErrNotFound) {
		return err
	}
	s.invalidateCalendar(id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// calendarState is what an audit event shows of a calendar: the stored settings.
func calendarState(c *jeton.Calendar) any {
	if c == nil {
		return nil
	}
	return HoursView{InstitutionID: c.InstitutionID, TimeZone: c.TimeZone, Windows: nonNil(c.Windows), Closed: nonNil(c.Closed)}
}

func (s *server) invalidateCalendar(institutionID string) {
	if s.cfg.InvalidateCalendar != nil {
		s.cfg.InvalidateCalendar(institutionID)
	}
}

func hoursPath(institutionID string) string {
	return "/admin/v1/institutions/" + url.PathEscape(institutionID) + "/hours"
}

// ParseHours validates in into a calendar for institutionID, naming the field at
// fault: the one rule the admin API and the console share for working hours.
func ParseHours(institutionID string, in HoursInput) (*jeton.Calendar, error) {
	return parseHours(institutionID, in)
}

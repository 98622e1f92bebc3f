package sqlite

import (
	"context"

	"github.com/jeton/jeton"
)

// PutCalendar creates or replaces the institution's calendar.
func (s *Store) PutCalendar(ctx context.Context, c *jeton.Calendar) error {
	return s.do(ctx, "put calendar", s.putCalendar(c))
}

// PutCalendarAudited is PutCalendar and AppendAudit(ev), both or neither.
func (s *Store) PutCalendarAudited(ctx context.Context, c *jeton.Calendar, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "put calendar", ev, s.putCalendar(c))
}

func (s *Store) putCalendar(c *jeton.Calendar) write {
	windows, err := jsonText(c.Windows)
	if err != nil {
		return failed(err)
	}
	closed, err := jsonText(nonNilDates(c.Closed))
	if err != nil {
		return failed(err)
	}
	return s.statement(false, `INSERT INTO institution_calendars (institution_id, time_zone,
		windows, closed, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
		ON CONFLICT (institution_id) DO UPDATE SET time_zone = ?2, windows = ?3,
		closed = ?4, updated_at = ?5`,
		c.InstitutionID, c.TimeZone, windows, closed, micros(c.UpdatedAt))
}

// GetCalendar returns the institution's compiled calendar.
func (s *Store) GetCalendar(ctx context.Context, institutionID string) (*jeton.Calendar, error) {
	var tz string
	var windows []jeton.Window
	var closed []jeton.Date
	var updated jeton.Calendar
	err := s.queryRow(ctx, `SELECT time_zone, windows, closed, updated_at
		FROM institution_calendars WHERE institution_id = ?`, institutionID).Scan(
		&tz, jsonCol[[]jeton.Window]{&windows}, jsonCol[[]jeton.Date]{&closed},
		timeCol{&updated.UpdatedAt})
	if err != nil {
		return nil, mapErr("get calendar", err)
	}
	c, err := jeton.NewCalendar(institutionID, tz, windows, closed)
	if err != nil {
		return nil, mapErr("get calendar", err)
	}
	c.UpdatedAt = updated.UpdatedAt
	return c, nil
}

// DeleteCalendar removes the institution's calendar.
func (s *Store) DeleteCalendar(ctx context.Context, institutionID string) error {
	return s.do(ctx, "delete calendar", s.deleteCalendar(institutionID))
}

// DeleteCalendarAudited is DeleteCalendar and AppendAudit(ev), both or neither.
func (s *Store) DeleteCalendarAudited(ctx context.Context, institutionID string, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "delete calendar", ev, s.deleteCalendar(institutionID))
}

func (s *Store) deleteCalendar(institutionID string) write {
	return s.statement(true, `DELETE FROM institution_calendars WHERE institution_id = ?`, institutionID)
}

func nonNilDates(d []jeton.Date) []jeton.Date {
	if d == nil {
		return []jeton.Date{}
	}
	return d
}

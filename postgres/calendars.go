package postgres

import (
	"context"

	"github.com/jeton/jeton"
)

// PutCalendar creates or replaces the institution's calendar.
func (s *Store) PutCalendar(ctx context.Context, c *jeton.Calendar) error {
	return s.do(ctx, "put calendar", putCalendar(c))
}

// PutCalendarAudited is PutCalendar and AppendAudit(ev), both or neither.
func (s *Store) PutCalendarAudited(ctx context.Context, c *jeton.Calendar, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "put calendar", ev, putCalendar(c))
}

func putCalendar(c *jeton.Calendar) write {
	windows := make([]string, len(c.Windows))
	for i, w := range c.Windows {
		windows[i] = w.String()
	}
	closed := make([]string, len(c.Closed))
	for i, d := range c.Closed {
		closed[i] = d.String()
	}
	return statement(false, `INSERT INTO institution_calendars (institution_id, time_zone,
		windows, closed, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (institution_id) DO UPDATE SET time_zone = $2, windows = $3,
		closed = $4, updated_at = $5`,
		c.InstitutionID, c.TimeZone, windows, closed, ts(c.UpdatedAt))
}

// GetCalendar returns the institution's compiled calendar.
func (s *Store) GetCalendar(ctx context.Context, institutionID string) (*jeton.Calendar, error) {
	var tz string
	var windows, closed []string
	var cal jeton.Calendar
	err := s.pool.QueryRow(ctx, `SELECT time_zone, windows, closed, updated_at
		FROM institution_calendars WHERE institution_id = $1`, institutionID).Scan(
		&tz, &windows, &closed, tsCol{&cal.UpdatedAt})
	if err != nil {
		return nil, mapErr("get calendar", err)
	}
	ws := make([]jeton.Window, len(windows))
	for i, w := range windows {
		if err := ws[i].UnmarshalText([]byte(w)); err != nil {
			return nil, mapErr("get calendar", err)
		}
	}
	ds := make([]jeton.Date, len(closed))
	for i, d := range closed {
		if err := ds[i].UnmarshalText([]byte(d)); err != nil {
			return nil, mapErr("get calendar", err)
		}
	}
	c, err := jeton.NewCalendar(institutionID, tz, ws, ds)
	if err != nil {
		return nil, mapErr("get calendar", err)
	}
	c.UpdatedAt = cal.UpdatedAt
	return c, nil
}

// DeleteCalendar removes the institution's calendar.
func (s *Store) DeleteCalendar(ctx context.Context, institutionID string) error {
	return s.do(ctx, "delete calendar", deleteCalendar(institutionID))
}

// DeleteCalendarAudited is DeleteCalendar and AppendAudit(ev), both or neither.
func (s *Store) DeleteCalendarAudited(ctx context.Context, institutionID string, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "delete calendar", ev, deleteCalendar(institutionID))
}

func deleteCalendar(institutionID string) write {
	return statement(true, `DELETE FROM institution_calendars WHERE institution_id = $1`, institutionID)
}

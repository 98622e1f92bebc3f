package sqlite

import (
	"context"

	"github.com/jeton/jeton"
)

// PutCalendar creates or replaces the institution's calendar.
func (s *Store) PutCalendar(ctx context.Context, c *jeton.Calendar) error {
	windows, err := jsonText(c.Windows)
	if err != nil {
		return mapErr("put calendar", err)
	}
	closed, err := jsonText(nonNilDates(c.Closed))
	if err != nil {
		return mapErr("put calendar", err)
	}
	_, err = s.exec(ctx, `INSERT INTO institution_calendars (institution_id, time_zone,
		windows, closed, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
		ON CONFLICT (institution_id) DO UPDATE SET time_zone = ?2, windows = ?3,
		closed = ?4, updated_at = ?5`,
		c.InstitutionID, c.TimeZone, windows, closed, micros(c.UpdatedAt))
	return mapErr("put calendar", err)
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
	res, err := s.exec(ctx, `DELETE FROM institution_calendars WHERE institution_id = ?`, institutionID)
	if err == nil {
		err = mustAffect(res)
	}
	return mapErr("delete calendar", err)
}

func nonNilDates(d []jeton.Date) []jeton.Date {
	if d == nil {
		return []jeton.Date{}
	}
	return d
}

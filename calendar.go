package jeton

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Calendar is an institution's working hours: when its token endpoint issues tokens.
// Times are wall-clock times in an IANA time zone, so daylight-saving changes come from
// the tz database and a window of "07:00-19:00" opens at 07:00 local time on either
// side of a change. No calendar means always open.
//
// Semantics (one rule each, so Open and NextOpening agree):
//   - A Window opens at Start on its Day and closes at End. End <= Start means the
//     window crosses midnight and closes at End on the next day; End 24:00 is midnight.
//   - A closed date closes the whole local day, including the part of a window that
//     started the evening before.
//   - A window start that falls into a spring-forward gap opens at the first instant
//     after the gap; a wall-clock time repeated in the autumn opens at its first
//     occurrence.
//
// Build one with NewCalendar; the zero value is not usable. A Calendar is immutable
// and safe for concurrent use.
type Calendar struct {
	InstitutionID string
	TimeZone      string
	Windows       []Window
	Closed        []Date
	UpdatedAt     time.Time

	loc    *time.Location
	byDay  [7][]Window
	closed map[Date]struct{}
	// shut memoizes the last closed span NextOpening found: every instant in
	// [from, next) is closed and opens at next. Requests refused outside hours then
	// cost a comparison, not a search over the days ahead.
	shut atomic.Pointer[closedSpan]
}

type closedSpan struct{ from, next time.Time }

// Window is one weekly opening: from Start on Day until End (the next day's End when
// End <= Start). Start and End are minutes after local midnight, 0..1440.
type Window struct {
	Day   time.Weekday
	Start int
	End   int
}

// Date is a local calendar date (a closed date such as a bank holiday).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ErrInvalidCalendar is wrapped by every calendar validation error.
var ErrInvalidCalendar = errors.New("invalid calendar")

// maxCalendarItems bounds windows and closed dates (DESIGN rule 4).
const maxCalendarItems = 1000

// NewCalendar validates and compiles a calendar. tz must name an IANA zone.
func NewCalendar(institutionID, tz string, windows []Window, closed []Date) (*Calendar, error) {
	if tz == "" {
		return nil, fmt.Errorf("%w: time zone is required", ErrInvalidCalendar)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q: %v", ErrInvalidCalendar, tz, err)
	}
	if len(windows) == 0 || len(windows) > maxCalendarItems || len(closed) > maxCalendarItems {
		return nil, fmt.Errorf("%w: need 1 to %d windows and at most %d closed dates", ErrInvalidCalendar, maxCalendarItems, maxCalendarItems)
	}
	c := &Calendar{InstitutionID: institutionID, TimeZone: tz, loc: loc, closed: make(map[Date]struct{}, len(closed))}
	for _, w := range windows {
		if err := w.valid(); err != nil {
			return nil, err
		}
		c.byDay[w.Day] = append(c.byDay[w.Day], w)
	}
	for _, d := range closed {
		if !d.valid() {
			return nil, fmt.Errorf("%w: closed date %s does not exist", ErrInvalidCalendar, d)
		}
		c.closed[d] = struct{}{}
	}
	c.Windows, c.Closed = slices.Clone(windows), slices.Clone(closed)
	return c, nil
}

func (w Window) valid() error {
	if w.Day < time.Sunday || w.Day > time.Saturday || w.Start < 0 || w.Start >= 24*60 ||
		w.End < 0 || w.End > 24*60 || w.End == w.Start {
		return fmt.Errorf("%w: window %s", ErrInvalidCalendar, w)
	}
	return nil
}

func (d Date) valid() bool {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return d.Year >= 1 && d.Year <= 9999 && t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Open reports whether t falls inside working hours.
func (c *Calendar) Open(t time.Time) bool {
	l := t.In(c.loc)
	y, m, d := l.Date()
	if _, shut := c.closed[Date{y, m, d}]; shut {
		return false
	}
	minute := l.Hour()*60 + l.Minute()
	for _, w := range c.byDay[l.Weekday()] {
		if minute >= w.Start && (w.End <= w.Start || minute < w.End) {
			return true
		}
	}
	for _, w := range c.byDay[(l.Weekday()+6)%7] { // yesterday's windows crossing midnight
		if w.End < w.Start && minute < w.End {
			return true
		}
	}
	return false
}

// searchDays bounds NextOpening: a year of closed dates plus a week.
const searchDays = 366 + 7

// NextOpening returns t when the calendar is open at t, else the first later instant
// at which it opens (to the second: windows open on whole minutes). It returns the
// zero time if the calendar does not open within a year.
func (c *Calendar) NextOpening(t time.Time) time.Time {
	if c.Open(t) {
		return t
	}
	if s := c.shut.Load(); s != nil && !t.Before(s.from) && t.Before(s.next) {
		return s.next
	}
	next := c.search(t)
	if !next.IsZero() {
		c.shut.Store(&closedSpan{from: t, next: next})
	}
	return next
}

// search finds the first opening after t (closed at t), day by day.
func (c *Calendar) search(t time.Time) time.Time {
	l := t.In(c.loc)
	y, m, d := l.Date()
	for i := range searchDays {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, c.loc)
		for _, cand := range c.candidates(day) {
			if cand.After(t) && c.Open(cand) {
				return cand
			}
		}
	}
	return time.Time{}
}

// candidates are the instants of one local day at which Open may turn true: local
// midnight (the end of a closed date) and each window's start, in order.
func (c *Calendar) candidates(day time.Time) []time.Time {
	y, m, d := day.Date()
	out := []time.Time{c.wallTime(y, m, d, 0)}
	for _, w := range c.byDay[day.Weekday()] {
		out = append(out, c.wallTime(y, m, d, w.Start))
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// wallTime is the first instant whose local wall clock reads minute on y-m-d, or, if
// that wall time does not exist (a spring-forward gap), the end of the gap.
func (c *Calendar) wallTime(y int, m time.Month, d, minute int) time.Time {
	t := time.Date(y, m, d, minute/60, minute%60, 0, 0, c.loc)
	if t.Hour()*60+t.Minute() != minute%(24*60) {
		// Go resolved a non-existent wall time by the offset before the gap, landing
		// past it; the window really opens when the gap ends.
		start, _ := t.ZoneBounds()
		if !start.IsZero() {
			return start
		}
	}
	if earlier := t.Add(-time.Hour); earlier.Hour() == t.Hour() && earlier.Minute() == t.Minute() {
		return earlier // an autumn repeat: the first occurrence
	}
	return t
}

// String renders a window as "Mon 07:00-19:00".
func (w Window) String() string {
	return fmt.Sprintf("%s %s-%s", w.Day.String()[:3], clock(w.Start), clock(w.End))
}

// String renders a date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w: date %q is not YYYY-MM-DD", ErrInvalidCalendar, s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// ParseWindows parses "Mon-Fri 07:00-19:00", "Sat 09:00-12:30", "Mon,Wed 22:00-02:00"
// or "Fri-Mon 00:00-24:00" (day ranges may wrap the week) into one Window per day.
func ParseWindows(spec string) ([]Window, error) {
	days, hours, ok := strings.Cut(strings.TrimSpace(spec), " ")
	if !ok {
		return nil, fmt.Errorf("%w: window %q: want DAYS HH:MM-HH:MM", ErrInvalidCalendar, spec)
	}
	from, to, ok := strings.Cut(strings.TrimSpace(hours), "-")
	start, err1 := parseClock(from)
	end, err2 := parseClock(to)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%w: window %q: want HH:MM-HH:MM", ErrInvalidCalendar, spec)
	}
	wd, err := parseDays(days)
	if err != nil {
		return nil, fmt.Errorf("%w: window %q: %v", ErrInvalidCalendar, spec, err)
	}
	out := make([]Window, 0, len(wd))
	for _, d := range wd {
		w := Window{Day: d, Start: start, End: end}
		if err := w.valid(); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, errors.New("bad clock")
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, errors.New("bad clock")
	}
	return h*60 + m, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var dayNames = map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// parseDays parses "Mon", "Mon-Fri" (wrapping ranges allowed) and comma lists of both.
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, ok1 := dayNames[strings.ToLower(a)]
		to, ok2 := from, true
		if isRange {
			to, ok2 = dayNames[strings.ToLower(b)]
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("unknown day in %q (use Mon..Sun)", part)
		}
		for d := from; ; d = (d + 1) % 7 {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
			if d == to {
				break
			}
		}
	}
	return out, nil
}

// MarshalText renders w as "Mon 07:00-19:00" (JSON and database form).
func (w Window) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText parses a single-day window as MarshalText renders it.
func (w *Window) UnmarshalText(b []byte) error {
	ws, err := ParseWindows(string(b))
	if err != nil {
		return err
	}
	if len(ws) != 1 {
		return fmt.Errorf("%w: window %q names more than one day", ErrInvalidCalendar, b)
	}
	*w = ws[0]
	return nil
}

// MarshalText renders d as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	*d = v
	return err
}

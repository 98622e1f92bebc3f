package jeton_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// FuzzParseWindows: any spec either fails or gives valid one-day windows whose text
// form parses back to the same window, and a calendar of them answers NextOpening
// with an open instant.
func FuzzParseWindows(f *testing.F) {
	for _, s := range []string{"Mon-Fri 07:00-19:00", "Fri-Mon 22:00-02:00", "sun 00:00-24:00", "Mon,Wed 09:00-09:01", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ws, err := jeton.ParseWindows(spec)
		if err != nil {
			return
		}
		for _, w := range ws {
			var back jeton.Window
			if err := back.UnmarshalText([]byte(w.String())); err != nil || back != w {
				t.Fatalf("%v does not round-trip: %v %v", w, back, err)
			}
		}
		cal, err := jeton.NewCalendar("i", "Europe/London", ws, nil)
		if err != nil {
			t.Fatalf("parsed windows %v refused: %v", ws, err)
		}
		at := time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)
		if next := cal.NextOpening(at); next.IsZero() || !cal.Open(next) {
			t.Fatalf("NextOpening(%s) = %s for %v", at, next, ws)
		}
	})
}

// FuzzParseDate: a closed date (admin input, YYYY-MM-DD) is refused with
// ErrInvalidCalendar or is written back exactly as it was given; a calendar takes it
// exactly when the date exists.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-12-25", "2024-02-29", "2025-02-29", "0000-01-01", "9999-12-31", "2026-1-5", " 2026-12-25", "2026-13-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := jeton.ParseDate(s)
		if err != nil {
			if !errors.Is(err, jeton.ErrInvalidCalendar) {
				t.Fatalf("%q refused with %v", s, err)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("%q parsed as %v", s, d)
		}
		var back jeton.Date
		if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
			t.Fatalf("%v does not round-trip: %v %v", d, back, err)
		}
		ws, _ := jeton.ParseWindows("Mon 09:00-17:00")
		_, err = jeton.NewCalendar("i", "UTC", ws, []jeton.Date{d})
		exists := d.Year >= 1 && time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly) == s
		if (err == nil) != exists {
			t.Fatalf("calendar with closed date %v: %v", d, err)
		}
	})
}

// FuzzCalendar: for any zone, windows, closed date and instant, NextOpening is an open
// instant not before t; when it is later than t the calendar is closed a second before
// it (it is the first opening) and at every instant between, as a fresh calendar and
// the cached span both say at the midpoint; on the closed date itself the calendar is
// never open.
func FuzzCalendar(f *testing.F) {
	for _, s := range []struct {
		tz, spec, closed string
		at               int64
	}{
		{"Europe/London", "Mon-Fri 07:00-19:00", "2026-03-30", 1774735200}, // the Sunday of the spring change
		{"America/New_York", "Sun 01:30-03:00", "2026-12-25", 1793516400},
		{"Australia/Lord_Howe", "Sun 02:00-02:30", "2026-10-05", 1791388800}, // a 30-minute DST change
		{"Asia/Kathmandu", "Fri-Mon 22:00-02:00", "2027-01-01", 1798700000},
		{"Pacific/Apia", "Sat 00:00-24:00", "2011-12-30", 1325066400}, // the day Samoa skipped
		{"Local", "Wed 09:00-09:01", "2026-06-17", 0},
	} {
		f.Add(s.tz, s.spec, s.closed, s.at)
	}
	f.Fuzz(func(t *testing.T, tz, spec, closed string, at int64) {
		ws, err := jeton.ParseWindows(spec)
		if err != nil {
			return
		}
		d, err := jeton.ParseDate(closed)
		if err != nil {
			return
		}
		cal, err := jeton.NewCalendar("i", tz, ws, []jeton.Date{d})
		if err != nil {
			if !errors.Is(err, jeton.ErrInvalidCalendar) {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		start := time.Unix(at%(400*365*86400), 0) // within four centuries of 1970, either way
		next := cal.NextOpening(start)
		if next.IsZero() {
			return // closed for more than a year: only a closed date can do that, with windows on that day alone
		}
		switch {
		case next.Before(start) || !cal.Open(next):
			t.Fatalf("NextOpening(%v) = %v (open %v) in %s for %v", start, next, cal.Open(next), tz, ws)
		case next.After(start) && cal.Open(next.Add(-time.Second)) && !next.Add(-time.Second).Before(start):
			t.Fatalf("NextOpening(%v) = %v, but it is open a second earlier (%s, %v)", start, next, tz, ws)
		}
		if next.After(start) {
			mid := start.Add(next.Sub(start) / 2)
			fresh, _ := jeton.NewCalendar("i", tz, ws, []jeton.Date{d})
			if cal.Open(mid) || !cal.NextOpening(mid).Equal(next) || !fresh.NextOpening(mid).Equal(next) {
				t.Fatalf("at %v between %v and its next opening %v: open %v, next %v, fresh next %v (%s, %v)", mid, start, next, cal.Open(mid), cal.NextOpening(mid), fresh.NextOpening(mid), tz, ws)
			}
		}
		loc := cal.Location()
		for _, minute := range []int{0, 1, 12 * 60, 24*60 - 1} {
			in := time.Date(d.Year, d.Month, d.Day, minute/60, minute%60, 30, 0, loc)
			if y, m, dd := in.Date(); y == d.Year && m == d.Month && dd == d.Day && cal.Open(in) {
				t.Fatalf("open at %v on closed date %v", in, d)
			}
		}
	})
}

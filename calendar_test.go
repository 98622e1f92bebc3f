package jeton_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func mustCalendar(t *testing.T, tz string, windows []string, closed ...string) *jeton.Calendar {
	t.Helper()
	var ws []jeton.Window
	for _, s := range windows {
		w, err := jeton.ParseWindows(s)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w...)
	}
	var ds []jeton.Date
	for _, s := range closed {
		d, err := jeton.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	c, err := jeton.NewCalendar("inst", tz, ws, ds)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestCalendar walks an injected clock over opening and closing minutes, closed dates,
// windows crossing midnight and the DST nights of both hemispheres. Every instant is
// given in UTC so the expectations do not depend on the machine's zone.
func TestCalendar(t *testing.T) {
	london := mustCalendar(t, "Europe/London", []string{"Mon-Fri 07:00-19:00"}, "2026-12-25")
	tests := []struct {
		name string
		cal  *jeton.Calendar
		at   string
		open bool
		next string // NextOpening when closed
	}{
		// Opening and closing minutes (British Summer Time, UTC+1).
		{"opening minute", london, "2026-06-01T06:00:00Z", true, ""},
		{"second before opening", london, "2026-06-01T05:59:59Z", false, "2026-06-01T06:00:00Z"},
		{"last open second", london, "2026-06-01T17:59:59Z", true, ""},
		{"closing minute", london, "2026-06-01T18:00:00Z", false, "2026-06-02T06:00:00Z"},
		{"friday close to monday", london, "2026-06-05T18:00:00Z", false, "2026-06-08T06:00:00Z"},
		// Winter (GMT, UTC+0).
		{"winter opening", london, "2026-01-05T07:00:00Z", true, ""},
		{"winter before opening", london, "2026-01-05T06:59:00Z", false, "2026-01-05T07:00:00Z"},
		// Closed date: Christmas is a Friday; the next opening is Monday the 28th.
		{"closed date", london, "2026-12-25T10:00:00Z", false, "2026-12-28T07:00:00Z"},
		{"eve of closed date", london, "2026-12-24T19:00:00Z", false, "2026-12-28T07:00:00Z"},
		// Spring forward (29 March 2026, 01:00 UTC): the weekend is 1 hour shorter.
		{"weekend over spring DST", london, "2026-03-28T20:00:00Z", false, "2026-03-30T06:00:00Z"},
		// Fall back (25 October 2026, 01:00 UTC): Monday opens at 07:00 GMT.
		{"weekend over autumn DST", london, "2026-10-24T12:00:00Z", false, "2026-10-26T07:00:00Z"},
		{"friday close BST", london, "2026-10-23T18:00:00Z", false, "2026-10-26T07:00:00Z"},

		// A window starting in the spring-forward gap (01:30 does not exist in London
		// on 29 March 2026) opens when the gap ends, 02:00 BST = 01:00 UTC.
		{"window in gap before", mustCalendar(t, "Europe/London", []string{"Sun 01:30-03:00"}), "2026-03-29T00:59:00Z", false, "2026-03-29T01:00:00Z"},
		{"window in gap at end", mustCalendar(t, "Europe/London", []string{"Sun 01:30-03:00"}), "2026-03-29T01:00:00Z", true, ""},
		// A window wholly inside the gap never opens that day.
		{"window wholly in gap", mustCalendar(t, "Europe/London", []string{"Sun 01:15-01:45"}), "2026-03-29T00:00:00Z", false, "2026-04-05T00:15:00Z"},
		// The repeated hour of 25 October opens at its first occurrence (01:30 BST).
		{"repeated hour first occurrence", mustCalendar(t, "Europe/London", []string{"Sun 01:30-03:00"}), "2026-10-25T00:00:00Z", false, "2026-10-25T00:30:00Z"},

		// New York: DST starts 8 March, ends 1 November 2026.
		{"new york sunday to monday EDT", mustCalendar(t, "America/New_York", []string{"Mon-Fri 09:00-17:00"}), "2026-03-08T16:00:00Z", false, "2026-03-09T13:00:00Z"},
		{"new york friday to monday EST", mustCalendar(t, "America/New_York", []string{"Mon-Fri 09:00-17:00"}), "2026-10-30T21:00:00Z", false, "2026-11-02T14:00:00Z"},
		{"new york open EST", mustCalendar(t, "America/New_York", []string{"Mon-Fri 09:00-17:00"}), "2026-11-02T14:00:00Z", true, ""},
		// Sydney (southern hemisphere): DST ends 5 April 2026, AEDT+11 -> AEST+10.
		{"sydney over autumn DST", mustCalendar(t, "Australia/Sydney", []string{"Mon-Fri 09:00-17:00"}), "2026-04-03T06:00:00Z", false, "2026-04-05T23:00:00Z"},
		{"sydney open", mustCalendar(t, "Australia/Sydney", []string{"Mon-Fri 09:00-17:00"}), "2026-04-05T23:00:00Z", true, ""},
		// Tokyo: no DST; Sunday 09:00 JST is closed, Monday 08:00 JST is Sunday 23:00 UTC.
		{"tokyo sunday", mustCalendar(t, "Asia/Tokyo", []string{"Mon-Sat 08:00-20:00"}), "2026-03-29T00:00:00Z", false, "2026-03-29T23:00:00Z"},

		// Windows crossing midnight.
		{"overnight before", mustCalendar(t, "UTC", []string{"Fri 22:00-02:00"}), "2026-06-05T21:59:00Z", false, "2026-06-05T22:00:00Z"},
		{"overnight after midnight", mustCalendar(t, "UTC", []string{"Fri 22:00-02:00"}), "2026-06-06T01:59:59Z", true, ""},
		{"overnight closing", mustCalendar(t, "UTC", []string{"Fri 22:00-02:00"}), "2026-06-06T02:00:00Z", false, "2026-06-12T22:00:00Z"},
		{"whole day last second", mustCalendar(t, "UTC", []string{"Sat 00:00-24:00"}), "2026-06-06T23:59:59Z", true, ""},
		{"whole day over", mustCalendar(t, "UTC", []string{"Sat 00:00-24:00"}), "2026-06-07T00:00:00Z", false, "2026-06-13T00:00:00Z"},
		// A closed date closes the tail of the window that began the evening before.
		{"closed date cuts overnight", mustCalendar(t, "UTC", []string{"Thu 22:00-02:00"}, "2026-12-25"), "2026-12-25T01:00:00Z", false, "2026-12-31T22:00:00Z"},
		{"overnight before closed date", mustCalendar(t, "UTC", []string{"Thu 22:00-02:00"}, "2026-12-25"), "2026-12-24T23:00:00Z", true, ""},
		// The tail of a window that began on a closed date opens at midnight.
		{"tail after closed date", mustCalendar(t, "UTC", []string{"Fri 22:00-02:00"}, "2026-12-25"), "2026-12-25T23:00:00Z", false, "2026-12-26T00:00:00Z"},
		// Several windows on one day.
		{"lunch break", mustCalendar(t, "UTC", []string{"Mon 09:00-12:00", "Mon 13:00-17:00"}), "2026-06-01T12:30:00Z", false, "2026-06-01T13:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := utc(tt.at)
			if got := tt.cal.Open(at); got != tt.open {
				t.Fatalf("Open(%s) = %v, want %v", at, got, tt.open)
			}
			want := at
			if !tt.open {
				want = utc(tt.next)
			}
			if got := tt.cal.NextOpening(at); !got.Equal(want) {
				t.Errorf("NextOpening(%s) = %s, want %s", at, got.UTC(), want)
			}
		})
	}
}

// TestCalendarNextOpeningIsOpen checks, minute by minute over a year in several zones,
// that NextOpening is open and nothing between t and it is.
func TestCalendarNextOpeningIsOpen(t *testing.T) {
	for _, tz := range []string{"Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"} {
		cal := mustCalendar(t, tz, []string{"Mon-Fri 07:00-19:00", "Sat 22:30-01:30", "Sun 01:30-02:30"}, "2026-12-25", "2026-04-03")
		for at := utc("2026-01-01T00:00:00Z"); at.Year() == 2026; at = at.Add(37 * time.Minute) {
			next := cal.NextOpening(at)
			if !cal.Open(next) {
				t.Fatalf("%s: NextOpening(%s) = %s is not open", tz, at, next)
			}
			if next.Sub(at) > 0 && cal.Open(next.Add(-time.Minute)) && next.Add(-time.Minute).After(at) {
				t.Fatalf("%s: NextOpening(%s) = %s but a minute earlier is open", tz, at, next)
			}
		}
	}
}

func TestParseWindows(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"Mon-Fri 07:00-19:00", 5},
		{"Fri-Mon 00:00-24:00", 4},
		{"mon,wed,fri 22:00-02:00", 3},
		{"Sun 09:00-12:30", 1},
	}
	for _, tt := range tests {
		ws, err := jeton.ParseWindows(tt.in)
		if err != nil || len(ws) != tt.want {
			t.Errorf("ParseWindows(%q) = %v, %v; want %d windows", tt.in, ws, err, tt.want)
		}
	}
	for _, bad := range []string{"", "Mon", "Mon 07:00", "Xyz 07:00-08:00", "Mon 25:00-26:00", "Mon 07:00-07:00",
		"Mon 7:00-8:00", "Mon +1:00-02:00", "Mon 01:00-0x:00", "Mon 24:30-01:00", "Mon 07:60-08:00", "Mon- 07:00-08:00"} {
		if _, err := jeton.ParseWindows(bad); !errors.Is(err, jeton.ErrInvalidCalendar) {
			t.Errorf("ParseWindows(%q) = %v, want ErrInvalidCalendar", bad, err)
		}
	}
}

func TestNewCalendarRejects(t *testing.T) {
	w := []jeton.Window{{Day: time.Monday, Start: 7 * 60, End: 19 * 60}}
	cases := map[string]func() error{
		"no zone":      func() error { _, err := jeton.NewCalendar("i", "", w, nil); return err },
		"unknown zone": func() error { _, err := jeton.NewCalendar("i", "Mars/Olympus", w, nil); return err },
		"no windows":   func() error { _, err := jeton.NewCalendar("i", "UTC", nil, nil); return err },
		"feb 30":       func() error { _, err := jeton.NewCalendar("i", "UTC", w, []jeton.Date{{2026, 2, 30}}); return err },
		"bad weekday": func() error {
			_, err := jeton.NewCalendar("i", "UTC", []jeton.Window{{Day: 7, Start: 0, End: 60}}, nil)
			return err
		},
		"bad date": func() error { _, err := jeton.ParseDate("2026-13-01"); return err },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, jeton.ErrInvalidCalendar) {
			t.Errorf("%s: %v, want ErrInvalidCalendar", name, err)
		}
	}
}

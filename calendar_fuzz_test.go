package jeton_test

import (
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

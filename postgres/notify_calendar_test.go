package postgres_test

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/calendarcache"
)

// TestListenCalendarChanges: a calendar set or cleared through one replica reaches
// another replica's calendar cache, which then reads the new calendar at once.
func TestListenCalendarChanges(t *testing.T) {
	writer, reader := twoReplicas(t)
	ctx := t.Context()
	now := time.Now()
	if err := writer.CreateInstitution(ctx, jeton.Institution{ID: "i", Name: "I", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}

	cache := calendarcache.New(reader, time.Hour, nil) // only notifications can refresh it
	expect, stop := notifications(t, reader.ListenCalendarChanges, cache.Changed)
	expect("")
	if cal, err := cache.Calendar(ctx, "i"); err != nil || cal != nil {
		t.Fatalf("before any calendar: %v, %v", cal, err)
	}
	ws, _ := jeton.ParseWindows("Mon-Fri 09:00-17:00")
	cal, _ := jeton.NewCalendar("i", "Europe/Paris", ws, nil)
	if err := writer.PutCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	expect("i")
	if c, err := cache.Calendar(ctx, "i"); err != nil || c == nil || c.TimeZone != "Europe/Paris" {
		t.Fatalf("after the notification the cache reads %v, %v", c, err)
	}
	if err := writer.DeleteCalendar(ctx, "i"); err != nil {
		t.Fatal(err)
	}
	expect("i")
	if c, err := cache.Calendar(ctx, "i"); err != nil || c != nil {
		t.Fatalf("after clearing: %v, %v", c, err)
	}
	stop()
}

package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/calendarcache"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/postgres/pgtest"
)

// TestListenCalendarChanges: a calendar set or cleared through one replica reaches
// another replica's calendar cache, which then reads the new calendar at once.
func TestListenCalendarChanges(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := t.Context()
	writer, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if err := writer.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	reader, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	now := time.Now()
	if err := writer.CreateInstitution(ctx, jeton.Institution{ID: "i", Name: "I", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}

	cache := calendarcache.New(reader, time.Hour, nil) // only notifications can refresh it
	got := make(chan string, 16)
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- reader.ListenCalendarChanges(lctx, func(id string) { cache.Changed(id); got <- id })
	}()
	expect := func(want string) {
		t.Helper()
		select {
		case id := <-got:
			if id != want {
				t.Fatalf("notified %q, want %q", id, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no notification for %q", want)
		}
	}
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
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ListenCalendarChanges after cancel: %v", err)
	}
}

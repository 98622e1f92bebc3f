package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// A burst of writes (here 96 MiB in one transaction, as a janitor pass over millions
// of rows makes) grows the WAL; once the checkpointer has copied it all back, the next
// commit starts the WAL over and cuts the file back to 64 MiB (journal_size_limit),
// instead of leaving it at the burst's size for good.
func TestWALShrinksAfterABurst(t *testing.T) {
	s := sqlitetest.New(t)
	ctx := context.Background()
	db := s.DB()
	if _, err := db.ExecContext(ctx, `CREATE TABLE burst (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 96)
		INSERT INTO burst SELECT randomblob(1048576) FROM c`); err != nil {
		t.Fatal(err)
	}
	wal := func() int64 {
		fi, err := os.Stat(s.Path() + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if n := wal(); n < 90<<20 {
		t.Fatalf("the burst left a WAL of %d bytes, want more than 90 MiB", n)
	}
	const limit = 64 << 20
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; wal() > limit && time.Now().Before(deadline); i++ {
		time.Sleep(300 * time.Millisecond) // the checkpointer runs every 250 ms
		now := time.Now()
		if err := s.CreateInstitution(ctx, jeton.Institution{ID: fmt.Sprint("i", i), Name: "n", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if n := wal(); n > limit {
		t.Fatalf("the WAL stayed at %d bytes after the burst was checkpointed", n)
	}
}

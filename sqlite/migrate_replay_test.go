package sqlite

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// Upgrading to the hashed replay key keeps every live record: an assertion used
// before the upgrade is still a replay after it. Down and up again works.
func TestReplayKeyMigrationKeepsRecords(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "jeton.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p, err := s.migrator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	live, gone := now.Add(time.Hour).UnixMicro(), now.Add(-time.Minute).UnixMicro()
	_, err = s.write.ExecContext(ctx, `INSERT INTO assertion_ids (client_id, jti, expires_at)
		VALUES ('client-a', 'jti-1', ?), ('client-a', 'jti-old', ?)`, live, gone)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.UseAssertionID(ctx, "client-a", "jti-1", now.Add(time.Hour), now); !errors.Is(err, jeton.ErrAlreadyUsed) {
		t.Fatalf("assertion used before the upgrade: %v, want ErrAlreadyUsed", err)
	}
	for _, jti := range []string{"jti-old", "jti-2"} {
		if err := s.UseAssertionID(ctx, "client-a", jti, now.Add(time.Hour), now); err != nil {
			t.Fatalf("%s: %v", jti, err)
		}
	}
	if err := s.UseAssertionID(ctx, "client-b", "jti-1", now.Add(time.Hour), now); err != nil {
		t.Fatalf("same jti, other client: %v", err)
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}

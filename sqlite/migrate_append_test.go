package sqlite

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// Migration 13 (issue 16) re-keys the assertion replay records and the refresh tokens;
// what was stored before it still works after it, and down and up again keeps it.
func TestAppendWritesMigrationKeepsRecords(t *testing.T) {
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
	if _, err := p.UpTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Microsecond)
	fam := jeton.NewTimeID(now)
	const rt = "a refresh token made before the migration"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO institutions (id, name) VALUES ('inst', 'Bank')`, nil},
		{`INSERT INTO clients (id, institution_id, name, status, auth_method, token_format, access_token_ttl_ns,
			refresh_token_ttl_ns, signing_alg) VALUES ('client', 'inst', 'c', 'active', 'client_secret_basic', 'jwt', 1, 1, 'ES256')`, nil},
		{`INSERT INTO refresh_families (id, client_id, institution_id, subject, created_at, expires_at)
			VALUES (?, 'client', 'inst', 'client', ?, ?)`, []any{fam, now.UnixMicro(), now.Add(time.Hour).UnixMicro()}},
		{`INSERT INTO refresh_tokens (digest, family_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			[]any{jeton.Digest(rt), fam, now.UnixMicro(), now.Add(time.Hour).UnixMicro()}},
		{`INSERT INTO assertion_uses (key, expires_at) VALUES (?, ?)`,
			[]any{assertionKey("client", "jti-1"), now.Add(time.Hour).UnixMicro()}},
	} {
		if _, err := s.write.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.UseAssertionID(ctx, "client", "jti-1", now.Add(time.Hour), now); !errors.Is(err, jeton.ErrAlreadyUsed) {
		t.Fatalf("assertion used before the migration: %v, want ErrAlreadyUsed", err)
	}
	tok, f, err := s.GetRefreshToken(ctx, jeton.RefreshTokenKey(rt))
	if err != nil || f.ID != fam || tok.FamilyID != fam {
		t.Fatalf("token made before the migration: %+v, %+v, %v", tok, f, err)
	}
	next := jeton.NewRefreshToken(fam)
	err = s.RotateRefreshToken(ctx, jeton.RefreshTokenKey(rt), jeton.RefreshToken{Digest: jeton.RefreshTokenKey(next),
		FamilyID: fam, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GetRefreshToken(ctx, jeton.RefreshTokenKey(next)); err != nil {
		t.Fatalf("successor: %v", err)
	}

	// Down: every token is keyed by its digest again, successors' keys too.
	if _, err := p.DownTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	var succ []byte
	if err := s.write.QueryRowContext(ctx, `SELECT successor_digest FROM refresh_tokens WHERE digest = ?`,
		jeton.Digest(rt)).Scan(&succ); err != nil {
		t.Fatal(err)
	}
	if string(succ) != string(jeton.Digest(next)) {
		t.Fatal("after down, the successor is not named by its digest")
	}
	var n int
	if err := s.write.QueryRowContext(ctx, `SELECT count(*) FROM refresh_tokens WHERE digest = ?`,
		jeton.Digest(next)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("after down, the successor by its digest: %d rows (%v)", n, err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GetRefreshToken(ctx, jeton.Digest(next)); err != nil {
		t.Fatalf("after down and up, the successor is a legacy token: %v", err)
	}
	// The rebuilt tables keep their foreign keys: every row has its parent, and
	// deleting a family deletes its tokens.
	rows, err := s.write.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("PRAGMA foreign_key_check found a row without its parent")
	}
	rows.Close()
	if _, err := s.write.ExecContext(ctx, `DELETE FROM refresh_families WHERE id = ?`, fam); err != nil {
		t.Fatal(err)
	}
	if err := s.write.QueryRowContext(ctx, `SELECT count(*) FROM refresh_tokens`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d tokens left after their family was deleted (%v)", n, err)
	}
}

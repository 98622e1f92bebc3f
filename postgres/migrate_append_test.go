package postgres

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/postgres/pgtest"
	"github.com/pressly/goose/v3"
)

// Migration 13 (issue 16) re-keys the assertion replay records and the refresh tokens;
// what was stored before it still works after it, and down and up again keeps it.
func TestAppendWritesMigrationKeepsRecords(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.migrateTo(ctx, 12); err != nil {
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
			VALUES ($1, 'client', 'inst', 'client', $2, $3)`, []any{fam, now, now.Add(time.Hour)}},
		{`INSERT INTO refresh_tokens (digest, family_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			[]any{jeton.Digest(rt), fam, now, now.Add(time.Hour)}},
		{`INSERT INTO assertion_ids (client_id, jti, expires_at) VALUES ('client', 'jti-1', $1)`, []any{now.Add(time.Hour)}},
	} {
		if _, err := s.pool.Exec(ctx, q.sql, q.args...); err != nil {
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
	err = s.withGoose(func(p *goose.Provider) error {
		_, err := p.DownTo(ctx, 12)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var succ []byte
	if err := s.pool.QueryRow(ctx, `SELECT successor_digest FROM refresh_tokens WHERE digest = $1`,
		jeton.Digest(rt)).Scan(&succ); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(succ, jeton.Digest(next)) {
		t.Fatal("after down, the successor is not named by its digest")
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GetRefreshToken(ctx, jeton.Digest(next)); err != nil {
		t.Fatalf("after down and up, the successor is a legacy token: %v", err)
	}
}

package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
)

const cardcoreAppColumns = `a.client_id, a.institution_id, a.app_key, a.record_id,
	i.record_id, a.created_by, a.description, a.website_url, a.icon_url, a.subject,
	a.is_official, a.is_verified, a.deleted, a.created_at, a.updated_at`

const cardcoreAppFrom = ` FROM cardcore_apps a
	JOIN cardcore_institutions i ON i.institution_id = a.institution_id`

// CreateCardCoreApp inserts the client, the institution's record id if it has none
// (the stored one wins), the application and the audit event, in one transaction.
func (s *Store) CreateCardCoreApp(ctx context.Context, c jeton.Client, app cardcorestore.App, ev jeton.AuditEvent) error {
	err := s.audited(ctx, ev, func(tx pgx.Tx) error {
		if err := insertClient(ctx, tx, c); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cardcore_institutions (institution_id, record_id)
			VALUES ($1, $2) ON CONFLICT (institution_id) DO NOTHING`,
			app.InstitutionID, app.InstitutionRecordID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO cardcore_apps (client_id, institution_id,
			app_key, record_id, created_by, description, website_url, icon_url, subject,
			is_official, is_verified, deleted, created_at, updated_at)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
			WHERE EXISTS (SELECT 1 FROM clients WHERE id = $1 AND institution_id = $2)`,
			app.ClientID, app.InstitutionID, app.Key, app.RecordID, app.CreatedBy,
			app.Description, app.WebsiteURL, app.IconURL, app.Subject, app.IsOfficial,
			app.IsVerified, app.Deleted, ts(app.CreatedAt), ts(app.UpdatedAt))
		if err == nil {
			err = mustAffect(tag) // the client is not this application's
		}
		return err
	})
	return mapErr("create cardcore app", err)
}

// GetCardCoreApp returns a client's application, deleted ones too.
func (s *Store) GetCardCoreApp(ctx context.Context, clientID string) (cardcorestore.App, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+cardcoreAppColumns+cardcoreAppFrom+` WHERE a.client_id = $1`, clientID)
	app, err := scanCardCoreApp(row)
	return app, mapErr("get cardcore app", err)
}

// GetCardCoreAppByKey returns institutionID's application with key.
func (s *Store) GetCardCoreAppByKey(ctx context.Context, institutionID, key string) (cardcorestore.App, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+cardcoreAppColumns+cardcoreAppFrom+`
		WHERE a.institution_id = $1 AND a.app_key = $2`, institutionID, key)
	app, err := scanCardCoreApp(row)
	return app, mapErr("get cardcore app by key", err)
}

// ListCardCoreApps pages institutionID's live applications by key.
func (s *Store) ListCardCoreApps(ctx context.Context, institutionID, after string, limit int) ([]cardcorestore.App, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+cardcoreAppColumns+cardcoreAppFrom+`
		WHERE a.institution_id = $1 AND a.app_key > $2 AND NOT a.deleted
		ORDER BY a.app_key LIMIT $3`, institutionID, after, limit)
	if err != nil {
		return nil, mapErr("list cardcore apps", err)
	}
	defer rows.Close()
	list := []cardcorestore.App{}
	for rows.Next() {
		a, err := scanCardCoreApp(rows)
		if err != nil {
			return nil, mapErr("list cardcore apps", err)
		}
		list = append(list, a)
	}
	return list, mapErr("list cardcore apps", rows.Err())
}

// UpdateCardCoreApp updates the application, then its client, and appends ev, in one
// transaction.
func (s *Store) UpdateCardCoreApp(ctx context.Context, c jeton.Client, app cardcorestore.App, ev jeton.AuditEvent) error {
	keys, err := jsonb(c.PublicKeys, "[]")
	if err != nil {
		return mapErr("update cardcore app", err)
	}
	err = s.audited(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE cardcore_apps SET description = $1, website_url = $2,
			icon_url = $3, subject = $4, is_official = $5, is_verified = $6, updated_at = $7
			WHERE client_id = $8 AND institution_id = $9 AND NOT deleted`,
			app.Description, app.WebsiteURL, app.IconURL, app.Subject, app.IsOfficial,
			app.IsVerified, ts(app.UpdatedAt), c.ID, app.InstitutionID)
		if err == nil {
			err = mustAffect(tag)
		}
		if err != nil {
			return err
		}
		tag, err = tx.Exec(ctx, `UPDATE clients SET name = $1, status = $2, auth_method = $3,
			public_keys = $4, grants = $5, scopes = $6, default_scopes = $7, updated_at = $8
			WHERE id = $9`,
			c.Name, c.Status, c.AuthMethod, keys, texts(c.Grants), texts(c.Scopes),
			texts(c.DefaultScopes), ts(c.UpdatedAt), c.ID)
		if err == nil {
			err = mustAffect(tag)
		}
		return err
	})
	return mapErr("update cardcore app", err)
}

// DeleteCardCoreApp soft-deletes the application and its client and appends ev in one
// transaction
// (the clients trigger NOTIFYs every replica's cache).
func (s *Store) DeleteCardCoreApp(ctx context.Context, institutionID, key string, now time.Time, ev jeton.AuditEvent) (string, error) {
	var clientID string
	err := s.audited(ctx, ev, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE cardcore_apps SET deleted = true, updated_at = $1
			WHERE institution_id = $2 AND app_key = $3 AND NOT deleted RETURNING client_id`,
			now, institutionID, key).Scan(&clientID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE clients SET status = $1, updated_at = $2 WHERE id = $3`,
			jeton.ClientDeleted, now, clientID)
		return err
	})
	return clientID, mapErr("delete cardcore app", err)
}

func scanCardCoreApp(r pgx.Row) (cardcorestore.App, error) {
	var a cardcorestore.App
	err := r.Scan(&a.ClientID, &a.InstitutionID, &a.Key, &a.RecordID, &a.InstitutionRecordID,
		&a.CreatedBy, &a.Description, &a.WebsiteURL, &a.IconURL, &a.Subject, &a.IsOfficial,
		&a.IsVerified, &a.Deleted, tsCol{&a.CreatedAt}, tsCol{&a.UpdatedAt})
	return a, err
}

const institutionKeyColumns = `id, institution_id, user_id, digest, created_at, revoked_at`

// CreateInstitutionKey records an institution-scoped admin key (digest only).
func (s *Store) CreateInstitutionKey(ctx context.Context, k cardcorestore.InstitutionKey) error {
	return s.do(ctx, "create institution key", insertInstitutionKey(k))
}

// CreateInstitutionKeyAudited is CreateInstitutionKey and AppendAudit(ev), both or
// neither.
func (s *Store) CreateInstitutionKeyAudited(ctx context.Context, k cardcorestore.InstitutionKey, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "create institution key", ev, insertInstitutionKey(k))
}

func insertInstitutionKey(k cardcorestore.InstitutionKey) write {
	return statement(false, `INSERT INTO institution_keys (`+institutionKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.InstitutionID, k.UserID, k.Digest, ts(k.CreatedAt), ts(k.RevokedAt))
}

// GetInstitutionKey returns the key with digest.
func (s *Store) GetInstitutionKey(ctx context.Context, digest []byte) (cardcorestore.InstitutionKey, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+institutionKeyColumns+` FROM institution_keys WHERE digest = $1`, digest)
	k, err := scanInstitutionKey(row)
	return k, mapErr("get institution key", err)
}

// ListInstitutionKeys returns institutionID's keys by CreatedAt, then ID.
func (s *Store) ListInstitutionKeys(ctx context.Context, institutionID string) ([]cardcorestore.InstitutionKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+institutionKeyColumns+` FROM institution_keys
		WHERE institution_id = $1 ORDER BY created_at, id`, institutionID)
	if err != nil {
		return nil, mapErr("list institution keys", err)
	}
	out, err := pgx.CollectRows(rows, rowTo(scanInstitutionKey))
	return nonNil(out), mapErr("list institution keys", err)
}

// RevokeInstitutionKey sets RevokedAt once; revoking again keeps the first time.
func (s *Store) RevokeInstitutionKey(ctx context.Context, institutionID, id string, now time.Time) error {
	return s.do(ctx, "revoke institution key", revokeInstitutionKey(institutionID, id, now))
}

// RevokeInstitutionKeyAudited is RevokeInstitutionKey and AppendAudit(ev), both or
// neither.
func (s *Store) RevokeInstitutionKeyAudited(ctx context.Context, institutionID, id string, now time.Time, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "revoke institution key", ev, revokeInstitutionKey(institutionID, id, now))
}

func revokeInstitutionKey(institutionID, id string, now time.Time) write {
	return statement(true, `UPDATE institution_keys SET revoked_at = coalesce(revoked_at, $1)
		WHERE institution_id = $2 AND id = $3`, now, institutionID, id)
}

func scanInstitutionKey(r pgx.Row) (cardcorestore.InstitutionKey, error) {
	var k cardcorestore.InstitutionKey
	err := r.Scan(&k.ID, &k.InstitutionID, &k.UserID, &k.Digest, tsCol{&k.CreatedAt}, tsCol{&k.RevokedAt})
	return k, err
}

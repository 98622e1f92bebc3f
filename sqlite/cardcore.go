package sqlite

import (
	"context"
	"database/sql"
	"time"

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
	err := s.audited(ctx, ev, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.insertClient(ctx, tx, c); err != nil {
			return err
		}
		if _, err := s.execTx(ctx, tx, `INSERT INTO cardcore_institutions (institution_id, record_id)
			VALUES (?, ?) ON CONFLICT (institution_id) DO NOTHING`,
			app.InstitutionID, app.InstitutionRecordID); err != nil {
			return err
		}
		res, err := s.execTx(ctx, tx, `INSERT INTO cardcore_apps (client_id, institution_id,
			app_key, record_id, created_by, description, website_url, icon_url, subject,
			is_official, is_verified, deleted, created_at, updated_at)
			SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
			WHERE EXISTS (SELECT 1 FROM clients WHERE id = ? AND institution_id = ?)`,
			app.ClientID, app.InstitutionID, app.Key, app.RecordID, app.CreatedBy,
			app.Description, app.WebsiteURL, app.IconURL, app.Subject, app.IsOfficial,
			app.IsVerified, app.Deleted, micros(app.CreatedAt), micros(app.UpdatedAt),
			app.ClientID, app.InstitutionID)
		if err == nil {
			err = mustAffect(res) // the client is not this application's
		}
		return err
	})
	return mapErr("create cardcore app", err)
}

// GetCardCoreApp returns a client's application, deleted ones too.
func (s *Store) GetCardCoreApp(ctx context.Context, clientID string) (cardcorestore.App, error) {
	row := s.queryRow(ctx, `SELECT `+cardcoreAppColumns+cardcoreAppFrom+` WHERE a.client_id = ?`, clientID)
	app, err := scanCardCoreApp(row)
	return app, mapErr("get cardcore app", err)
}

// GetCardCoreAppByKey returns institutionID's application with key.
func (s *Store) GetCardCoreAppByKey(ctx context.Context, institutionID, key string) (cardcorestore.App, error) {
	row := s.queryRow(ctx, `SELECT `+cardcoreAppColumns+cardcoreAppFrom+`
		WHERE a.institution_id = ? AND a.app_key = ?`, institutionID, key)
	app, err := scanCardCoreApp(row)
	return app, mapErr("get cardcore app by key", err)
}

// ListCardCoreApps pages institutionID's live applications by key.
func (s *Store) ListCardCoreApps(ctx context.Context, institutionID, after string, limit int) ([]cardcorestore.App, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+cardcoreAppColumns+cardcoreAppFrom+`
		WHERE a.institution_id = ? AND a.app_key > ? AND a.deleted = 0
		ORDER BY a.app_key LIMIT ?`, institutionID, after, limit)
	if err != nil {
		return nil, mapErr("list cardcore apps", err)
	}
	list, err := collect(rows, scanCardCoreApp)
	return list, mapErr("list cardcore apps", err)
}

// UpdateCardCoreApp updates the application, then its client, and appends ev, in one
// transaction.
func (s *Store) UpdateCardCoreApp(ctx context.Context, c jeton.Client, app cardcorestore.App, ev jeton.AuditEvent) error {
	j, err := clientJSON(c)
	if err != nil {
		return mapErr("update cardcore app", err)
	}
	err = s.audited(ctx, ev, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.execTx(ctx, tx, `UPDATE cardcore_apps SET description = ?, website_url = ?,
			icon_url = ?, subject = ?, is_official = ?, is_verified = ?, updated_at = ?
			WHERE client_id = ? AND institution_id = ? AND NOT deleted`,
			app.Description, app.WebsiteURL, app.IconURL, app.Subject, app.IsOfficial,
			app.IsVerified, micros(app.UpdatedAt), c.ID, app.InstitutionID)
		if err == nil {
			err = mustAffect(res)
		}
		if err != nil {
			return err
		}
		res, err = s.execTx(ctx, tx, `UPDATE clients SET name = ?, status = ?,
			auth_method = ?, public_keys = ?, grants = ?, scopes = ?, default_scopes = ?,
			updated_at = ? WHERE id = ?`,
			c.Name, c.Status, c.AuthMethod, j[0], j[2], j[3], j[4], micros(c.UpdatedAt), c.ID)
		if err == nil {
			err = mustAffect(res)
		}
		return err
	})
	return mapErr("update cardcore app", err)
}

// DeleteCardCoreApp soft-deletes the application and its client and appends ev in one
// transaction.
func (s *Store) DeleteCardCoreApp(ctx context.Context, institutionID, key string, now time.Time, ev jeton.AuditEvent) (string, error) {
	var clientID string
	err := s.audited(ctx, ev, func(ctx context.Context, tx *sql.Tx) error {
		err := s.queryRowTx(ctx, tx, `UPDATE cardcore_apps SET deleted = 1, updated_at = ?
			WHERE institution_id = ? AND app_key = ? AND NOT deleted RETURNING client_id`,
			micros(now), institutionID, key).Scan(&clientID)
		if err != nil {
			return err
		}
		_, err = s.execTx(ctx, tx, `UPDATE clients SET status = ?, updated_at = ? WHERE id = ?`,
			jeton.ClientDeleted, micros(now), clientID)
		return err
	})
	return clientID, mapErr("delete cardcore app", err)
}

func scanCardCoreApp(r scanner) (cardcorestore.App, error) {
	var a cardcorestore.App
	err := r.Scan(&a.ClientID, &a.InstitutionID, &a.Key, &a.RecordID, &a.InstitutionRecordID,
		&a.CreatedBy, &a.Description, &a.WebsiteURL, &a.IconURL, &a.Subject, &a.IsOfficial,
		&a.IsVerified, &a.Deleted, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	return a, err
}

const institutionKeyColumns = `id, institution_id, user_id, digest, created_at, revoked_at`

// CreateInstitutionKey records an institution-scoped admin key (digest only).
func (s *Store) CreateInstitutionKey(ctx context.Context, k cardcorestore.InstitutionKey) error {
	return s.do(ctx, "create institution key", s.insertInstitutionKey(k))
}

// CreateInstitutionKeyAudited is CreateInstitutionKey and AppendAudit(ev), both or
// neither.
func (s *Store) CreateInstitutionKeyAudited(ctx context.Context, k cardcorestore.InstitutionKey, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "create institution key", ev, s.insertInstitutionKey(k))
}

func (s *Store) insertInstitutionKey(k cardcorestore.InstitutionKey) write {
	return s.statement(false, `INSERT INTO institution_keys (`+institutionKeyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.InstitutionID, k.UserID, k.Digest, micros(k.CreatedAt), micros(k.RevokedAt))
}

// GetInstitutionKey returns the key with digest.
func (s *Store) GetInstitutionKey(ctx context.Context, digest []byte) (cardcorestore.InstitutionKey, error) {
	row := s.queryRow(ctx, `SELECT `+institutionKeyColumns+` FROM institution_keys WHERE digest = ?`, digest)
	k, err := scanInstitutionKey(row)
	return k, mapErr("get institution key", err)
}

// ListInstitutionKeys returns institutionID's keys by CreatedAt, then ID.
func (s *Store) ListInstitutionKeys(ctx context.Context, institutionID string) ([]cardcorestore.InstitutionKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+institutionKeyColumns+` FROM institution_keys
		WHERE institution_id = ? ORDER BY created_at, id`, institutionID)
	if err != nil {
		return nil, mapErr("list institution keys", err)
	}
	out, err := collect(rows, scanInstitutionKey)
	return out, mapErr("list institution keys", err)
}

// RevokeInstitutionKey sets RevokedAt once; revoking again keeps the first time.
func (s *Store) RevokeInstitutionKey(ctx context.Context, institutionID, id string, now time.Time) error {
	return s.do(ctx, "revoke institution key", s.revokeInstitutionKey(institutionID, id, now))
}

// RevokeInstitutionKeyAudited is RevokeInstitutionKey and AppendAudit(ev), both or
// neither.
func (s *Store) RevokeInstitutionKeyAudited(ctx context.Context, institutionID, id string, now time.Time, ev jeton.AuditEvent) error {
	return s.doAudited(ctx, "revoke institution key", ev, s.revokeInstitutionKey(institutionID, id, now))
}

func (s *Store) revokeInstitutionKey(institutionID, id string, now time.Time) write {
	return s.statement(true, `UPDATE institution_keys SET revoked_at = coalesce(revoked_at, ?)
		WHERE institution_id = ? AND id = ?`, micros(now), institutionID, id)
}

func scanInstitutionKey(r scanner) (cardcorestore.InstitutionKey, error) {
	var k cardcorestore.InstitutionKey
	err := r.Scan(&k.ID, &k.InstitutionID, &k.UserID, &k.Digest, timeCol{&k.CreatedAt}, timeCol{&k.RevokedAt})
	return k, err
}

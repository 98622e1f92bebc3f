package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func newCardCoreApp(clientID, institutionID, key string) jeton.CardCoreApp {
	return jeton.CardCoreApp{
		ClientID: clientID, InstitutionID: institutionID, Key: key,
		RecordID:            "rec" + key[:21],
		InstitutionRecordID: "inst" + key[:20],
		CreatedBy:           "user00000000000000000001",
		Description:         "Card issuing app",
		WebsiteURL:          "https://bank.example",
		IconURL:             "https://bank.example/icon.png",
		Subject:             "CN=bank.example,O=Bank",
		IsOfficial:          true,
		CreatedAt:           at(0),
		UpdatedAt:           at(time.Second),
	}
}

const (
	keyA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	keyB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var cardcoreTests = []subtest{
	{"CardCore/AppRoundTripAndScoping", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		seed(t, s, "inst-b", "client-b")
		ok(t, "create client a2", s.CreateClient(ctx, newClient("client-a2", "inst-a")))
		app := newCardCoreApp("client-a", "inst-a", keyA)
		ok(t, "create app", s.CreateCardCoreApp(ctx, app))
		got, err := s.GetCardCoreApp(ctx, "client-a")
		ok(t, "get app", err)
		same(t, "app", got, app)
		got, err = s.GetCardCoreAppByKey(ctx, "inst-a", keyA)
		ok(t, "get app by key", err)
		same(t, "app by key", got, app)
		_, err = s.GetCardCoreAppByKey(ctx, "inst-b", keyA)
		is(t, "other institution's key", err, jeton.ErrNotFound)

		// The institution's record id is assigned once: a second application's
		// candidate loses to the stored one.
		app2 := newCardCoreApp("client-a2", "inst-a", keyB)
		app2.RecordID, app2.InstitutionRecordID = "rec2", "another-candidate"
		ok(t, "create second app", s.CreateCardCoreApp(ctx, app2))
		got, err = s.GetCardCoreApp(ctx, "client-a2")
		ok(t, "get second app", err)
		same(t, "institution record id kept", got.InstitutionRecordID, app.InstitutionRecordID)

		dup := newCardCoreApp("client-b", "inst-b", keyA)
		dup.RecordID = "rec3"
		is(t, "duplicate key", s.CreateCardCoreApp(ctx, dup), jeton.ErrConflict)
		is(t, "client of another institution", s.CreateCardCoreApp(ctx, newCardCoreApp("client-b", "inst-a", "cccccccccccccccccccccccccccccccc")), jeton.ErrNotFound)
		is(t, "missing client", s.CreateCardCoreApp(ctx, newCardCoreApp("nope", "inst-a", "dddddddddddddddddddddddddddddddd")), jeton.ErrNotFound)
		_, err = s.GetCardCoreApp(ctx, "client-b")
		is(t, "no app for client-b", err, jeton.ErrNotFound)
	}},
	{"CardCore/UpdateAndSoftDelete", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		seed(t, s, "inst-b", "")
		app := newCardCoreApp("client-a", "inst-a", keyA)
		ok(t, "create app", s.CreateCardCoreApp(ctx, app))
		c, err := s.GetClient(ctx, "client-a")
		ok(t, "get client", err)
		c.Name, c.Scopes, c.UpdatedAt = "Renamed", []string{"READ"}, at(time.Minute)
		app.Description, app.WebsiteURL, app.UpdatedAt = "new", "https://new.example", at(time.Minute)
		ok(t, "update", s.UpdateCardCoreApp(ctx, c, app))
		got, err := s.GetCardCoreApp(ctx, "client-a")
		ok(t, "get app", err)
		same(t, "updated app", got, app)
		gotC, err := s.GetClient(ctx, "client-a")
		ok(t, "get client", err)
		same(t, "updated client", gotC, c)

		other := app
		other.InstitutionID = "inst-b"
		is(t, "update through another institution", s.UpdateCardCoreApp(ctx, c, other), jeton.ErrNotFound)
		_, err = s.DeleteCardCoreApp(ctx, "inst-b", keyA, at(time.Hour))
		is(t, "delete through another institution", err, jeton.ErrNotFound)

		id, err := s.DeleteCardCoreApp(ctx, "inst-a", keyA, at(time.Hour))
		ok(t, "delete", err)
		same(t, "deleted client id", id, "client-a")
		got, err = s.GetCardCoreApp(ctx, "client-a")
		ok(t, "get deleted app", err)
		if !got.Deleted || !got.UpdatedAt.Equal(at(time.Hour)) {
			t.Errorf("deleted app = %+v, want Deleted at %v", got, at(time.Hour))
		}
		gotC, err = s.GetClient(ctx, "client-a")
		ok(t, "get deleted client", err)
		same(t, "client status", gotC.Status, jeton.ClientDeleted)
		_, err = s.DeleteCardCoreApp(ctx, "inst-a", keyA, at(2*time.Hour))
		is(t, "delete twice", err, jeton.ErrNotFound)
		is(t, "update deleted", s.UpdateCardCoreApp(ctx, c, app), jeton.ErrNotFound)
	}},
	{"CardCore/DeleteRace", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "client-a")
		ok(t, "create app", s.CreateCardCoreApp(ctx, newCardCoreApp("client-a", "inst-a", keyA)))
		errs := race(func(int) error {
			_, err := s.DeleteCardCoreApp(ctx, "inst-a", keyA, at(time.Hour))
			if errors.Is(err, jeton.ErrNotFound) {
				return jeton.ErrAlreadyUsed // lost the race: already deleted
			}
			return err
		})
		oneWinner(t, errs)
	}},
	{"CardCore/InstitutionKeys", func(t *testing.T, s jeton.Store) {
		ctx := t.Context()
		seed(t, s, "inst-a", "")
		k := jeton.InstitutionKey{ID: "key-1", InstitutionID: "inst-a", UserID: "user00000000000000000001",
			Digest: jeton.Digest("secret-1"), CreatedAt: at(0)}
		ok(t, "create", s.CreateInstitutionKey(ctx, k))
		k2 := k
		k2.ID, k2.Digest, k2.CreatedAt = "key-2", jeton.Digest("secret-2"), at(time.Second)
		ok(t, "create second", s.CreateInstitutionKey(ctx, k2))
		dup := k2
		dup.ID = "key-3"
		is(t, "duplicate digest", s.CreateInstitutionKey(ctx, dup), jeton.ErrConflict)
		missing := k
		missing.ID, missing.InstitutionID, missing.Digest = "key-4", "nope", jeton.Digest("secret-4")
		is(t, "missing institution", s.CreateInstitutionKey(ctx, missing), jeton.ErrNotFound)

		got, err := s.GetInstitutionKey(ctx, jeton.Digest("secret-1"))
		ok(t, "get", err)
		same(t, "key", got, k)
		_, err = s.GetInstitutionKey(ctx, jeton.Digest("unknown"))
		is(t, "unknown digest", err, jeton.ErrNotFound)
		list, err := s.ListInstitutionKeys(ctx, "inst-a")
		ok(t, "list", err)
		same(t, "list", list, []jeton.InstitutionKey{k, k2})
		list, err = s.ListInstitutionKeys(ctx, "inst-b")
		ok(t, "list empty", err)
		same(t, "list empty", list, []jeton.InstitutionKey{})

		is(t, "revoke via another institution", s.RevokeInstitutionKey(ctx, "inst-b", "key-1", at(time.Hour)), jeton.ErrNotFound)
		ok(t, "revoke", s.RevokeInstitutionKey(ctx, "inst-a", "key-1", at(time.Hour)))
		ok(t, "revoke again", s.RevokeInstitutionKey(ctx, "inst-a", "key-1", at(2*time.Hour)))
		got, err = s.GetInstitutionKey(ctx, jeton.Digest("secret-1"))
		ok(t, "get revoked", err)
		same(t, "revoked at (first revocation kept)", got.RevokedAt, at(time.Hour))
	}},
}

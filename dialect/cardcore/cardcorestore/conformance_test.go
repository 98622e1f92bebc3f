package cardcorestore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
	"github.com/jeton/jeton/storetest"
	"github.com/jeton/jeton/storetest/stores"
)

// store is what the suite runs on: a core store that also keeps CardCore's state.
type store interface {
	jeton.Store
	cardcorestore.Store
}

// TestConformance runs CardCore's store suite on both backends: the SQLite and
// PostgreSQL implementations live in sqlite/cardcore.go and postgres/cardcore.go.
func TestConformance(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		storetest.RunCases(t, func(t *testing.T) store { return stores.SQLite(t) }, cases)
	})
	t.Run("postgres", func(t *testing.T) {
		newStore := stores.Postgres(t)
		storetest.RunCases(t, func(t *testing.T) store { return newStore(t) }, cases)
	})
}

func newCardCoreApp(clientID, institutionID, key string) cardcorestore.App {
	return cardcorestore.App{
		ClientID: clientID, InstitutionID: institutionID, Key: key,
		RecordID:            "rec" + key[:21],
		InstitutionRecordID: "inst" + key[:20],
		CreatedBy:           "user00000000000000000001",
		Description:         "Card issuing app",
		WebsiteURL:          "https://bank.example",
		IconURL:             "https://bank.example/icon.png",
		Subject:             "CN=bank.example,O=Bank",
		IsOfficial:          true,
		CreatedAt:           storetest.At(0),
		UpdatedAt:           storetest.At(time.Second),
	}
}

const (
	keyA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	keyB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var cases = []storetest.Case[store]{
	{Name: "CardCore/AppRoundTripAndScoping", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "client-a")
		storetest.Seed(t, s, "inst-b", "client-b")
		storetest.OK(t, "create client a2", s.CreateClient(ctx, storetest.NewClient("client-a2", "inst-a")))
		app := newCardCoreApp("client-a", "inst-a", keyA)
		storetest.OK(t, "create app", s.CreateCardCoreApp(ctx, app))
		got, err := s.GetCardCoreApp(ctx, "client-a")
		storetest.OK(t, "get app", err)
		storetest.Same(t, "app", got, app)
		got, err = s.GetCardCoreAppByKey(ctx, "inst-a", keyA)
		storetest.OK(t, "get app by key", err)
		storetest.Same(t, "app by key", got, app)
		_, err = s.GetCardCoreAppByKey(ctx, "inst-b", keyA)
		storetest.Is(t, "other institution's key", err, jeton.ErrNotFound)

		// The institution's record id is assigned once: a second application's
		// candidate loses to the stored one.
		app2 := newCardCoreApp("client-a2", "inst-a", keyB)
		app2.RecordID, app2.InstitutionRecordID = "rec2", "another-candidate"
		storetest.OK(t, "create second app", s.CreateCardCoreApp(ctx, app2))
		got, err = s.GetCardCoreApp(ctx, "client-a2")
		storetest.OK(t, "get second app", err)
		storetest.Same(t, "institution record id kept", got.InstitutionRecordID, app.InstitutionRecordID)

		dup := newCardCoreApp("client-b", "inst-b", keyA)
		dup.RecordID = "rec3"
		storetest.Is(t, "duplicate key", s.CreateCardCoreApp(ctx, dup), jeton.ErrConflict)
		storetest.Is(t, "client of another institution", s.CreateCardCoreApp(ctx, newCardCoreApp("client-b", "inst-a", "cccccccccccccccccccccccccccccccc")), jeton.ErrNotFound)
		storetest.Is(t, "missing client", s.CreateCardCoreApp(ctx, newCardCoreApp("nope", "inst-a", "dddddddddddddddddddddddddddddddd")), jeton.ErrNotFound)
		_, err = s.GetCardCoreApp(ctx, "client-b")
		storetest.Is(t, "no app for client-b", err, jeton.ErrNotFound)
	}},
	{Name: "CardCore/UpdateAndSoftDelete", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "client-a")
		storetest.Seed(t, s, "inst-b", "")
		app := newCardCoreApp("client-a", "inst-a", keyA)
		storetest.OK(t, "create app", s.CreateCardCoreApp(ctx, app))
		c, err := s.GetClient(ctx, "client-a")
		storetest.OK(t, "get client", err)
		c.Name, c.Scopes, c.UpdatedAt = "Renamed", []string{"READ"}, storetest.At(time.Minute)
		app.Description, app.WebsiteURL, app.UpdatedAt = "new", "https://new.example", storetest.At(time.Minute)
		storetest.OK(t, "update", s.UpdateCardCoreApp(ctx, c, app))
		got, err := s.GetCardCoreApp(ctx, "client-a")
		storetest.OK(t, "get app", err)
		storetest.Same(t, "updated app", got, app)
		gotC, err := s.GetClient(ctx, "client-a")
		storetest.OK(t, "get client", err)
		storetest.Same(t, "updated client", gotC, c)

		other := app
		other.InstitutionID = "inst-b"
		storetest.Is(t, "update through another institution", s.UpdateCardCoreApp(ctx, c, other), jeton.ErrNotFound)
		_, err = s.DeleteCardCoreApp(ctx, "inst-b", keyA, storetest.At(time.Hour))
		storetest.Is(t, "delete through another institution", err, jeton.ErrNotFound)

		id, err := s.DeleteCardCoreApp(ctx, "inst-a", keyA, storetest.At(time.Hour))
		storetest.OK(t, "delete", err)
		storetest.Same(t, "deleted client id", id, "client-a")
		got, err = s.GetCardCoreApp(ctx, "client-a")
		storetest.OK(t, "get deleted app", err)
		if !got.Deleted || !got.UpdatedAt.Equal(storetest.At(time.Hour)) {
			t.Errorf("deleted app = %+v, want Deleted at %v", got, storetest.At(time.Hour))
		}
		gotC, err = s.GetClient(ctx, "client-a")
		storetest.OK(t, "get deleted client", err)
		storetest.Same(t, "client status", gotC.Status, jeton.ClientDeleted)
		_, err = s.DeleteCardCoreApp(ctx, "inst-a", keyA, storetest.At(2*time.Hour))
		storetest.Is(t, "delete twice", err, jeton.ErrNotFound)
		storetest.Is(t, "update deleted", s.UpdateCardCoreApp(ctx, c, app), jeton.ErrNotFound)
	}},
	{Name: "CardCore/DeleteRace", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "client-a")
		storetest.OK(t, "create app", s.CreateCardCoreApp(ctx, newCardCoreApp("client-a", "inst-a", keyA)))
		errs := storetest.Race(func(int) error {
			_, err := s.DeleteCardCoreApp(ctx, "inst-a", keyA, storetest.At(time.Hour))
			if errors.Is(err, jeton.ErrNotFound) {
				return jeton.ErrAlreadyUsed // lost the race: already deleted
			}
			return err
		})
		storetest.OneWinner(t, errs)
	}},
	{Name: "CardCore/InstitutionKeys", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "")
		k := cardcorestore.InstitutionKey{ID: "key-1", InstitutionID: "inst-a", UserID: "user00000000000000000001",
			Digest: jeton.Digest("secret-1"), CreatedAt: storetest.At(0)}
		storetest.OK(t, "create", s.CreateInstitutionKey(ctx, k))
		k2 := k
		k2.ID, k2.Digest, k2.CreatedAt = "key-2", jeton.Digest("secret-2"), storetest.At(time.Second)
		storetest.OK(t, "create second", s.CreateInstitutionKey(ctx, k2))
		dup := k2
		dup.ID = "key-3"
		storetest.Is(t, "duplicate digest", s.CreateInstitutionKey(ctx, dup), jeton.ErrConflict)
		missing := k
		missing.ID, missing.InstitutionID, missing.Digest = "key-4", "nope", jeton.Digest("secret-4")
		storetest.Is(t, "missing institution", s.CreateInstitutionKey(ctx, missing), jeton.ErrNotFound)

		got, err := s.GetInstitutionKey(ctx, jeton.Digest("secret-1"))
		storetest.OK(t, "get", err)
		storetest.Same(t, "key", got, k)
		_, err = s.GetInstitutionKey(ctx, jeton.Digest("unknown"))
		storetest.Is(t, "unknown digest", err, jeton.ErrNotFound)
		list, err := s.ListInstitutionKeys(ctx, "inst-a")
		storetest.OK(t, "list", err)
		storetest.Same(t, "list", list, []cardcorestore.InstitutionKey{k, k2})
		list, err = s.ListInstitutionKeys(ctx, "inst-b")
		storetest.OK(t, "list empty", err)
		storetest.Same(t, "list empty", list, []cardcorestore.InstitutionKey{})

		storetest.Is(t, "revoke via another institution", s.RevokeInstitutionKey(ctx, "inst-b", "key-1", storetest.At(time.Hour)), jeton.ErrNotFound)
		storetest.OK(t, "revoke", s.RevokeInstitutionKey(ctx, "inst-a", "key-1", storetest.At(time.Hour)))
		storetest.OK(t, "revoke again", s.RevokeInstitutionKey(ctx, "inst-a", "key-1", storetest.At(2*time.Hour)))
		got, err = s.GetInstitutionKey(ctx, jeton.Digest("secret-1"))
		storetest.OK(t, "get revoked", err)
		storetest.Same(t, "revoked at (first revocation kept)", got.RevokedAt, storetest.At(time.Hour))
	}},
}

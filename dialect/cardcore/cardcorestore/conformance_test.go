package cardcorestore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	stores.Both(t, append(cases, storetest.AuditedCases(keyChanges)...))
}

func newInstitutionKey(id, institutionID string) cardcorestore.InstitutionKey {
	return cardcorestore.InstitutionKey{ID: id, InstitutionID: institutionID, UserID: "user00000000000000000001",
		Digest: jeton.Digest("key-" + id), CreatedAt: storetest.At(0)}
}

// keyChanges prove the admin routes' key changes commit with their audit events.
var keyChanges = []storetest.Audited[store]{
	{Name: "CreateInstitutionKey",
		Prepare: func(t *testing.T, s store) { storetest.Seed(t, s, "inst-a", "") },
		Change: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.CreateInstitutionKeyAudited(ctx, newInstitutionKey("k-1", "inst-a"), ev)
		},
		Applied: func(t *testing.T, s store) bool {
			_, err := s.GetInstitutionKey(t.Context(), jeton.Digest("key-k-1"))
			return !errors.Is(err, jeton.ErrNotFound)
		},
		Fail: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.CreateInstitutionKeyAudited(ctx, newInstitutionKey("k-2", "missing"), ev)
		}},
	{Name: "RevokeInstitutionKey",
		Prepare: func(t *testing.T, s store) {
			storetest.Seed(t, s, "inst-a", "")
			storetest.OK(t, "key", s.CreateInstitutionKey(t.Context(), newInstitutionKey("k-1", "inst-a")))
		},
		Change: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.RevokeInstitutionKeyAudited(ctx, "inst-a", "k-1", storetest.At(time.Hour), ev)
		},
		Applied: func(t *testing.T, s store) bool {
			k, err := s.GetInstitutionKey(t.Context(), jeton.Digest("key-k-1"))
			storetest.OK(t, "get", err)
			return !k.RevokedAt.IsZero()
		},
		Fail: func(ctx context.Context, s store, ev jeton.AuditEvent) error {
			return s.RevokeInstitutionKeyAudited(ctx, "inst-a", "missing", storetest.At(time.Hour), ev)
		}},
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

// event is an audit event of the suite, id its key.
func event(id, action string) jeton.AuditEvent {
	return jeton.AuditEvent{ID: id, At: storetest.At(0), InstitutionID: "inst-a",
		Actor: "institution-key:key-1", Action: action, Subject: "client-a"}
}

// createApp creates app with a new client of its own id and institution.
func createApp(t *testing.T, s store, app cardcorestore.App) error {
	c := storetest.NewClient(app.ClientID, app.InstitutionID)
	return s.CreateCardCoreApp(t.Context(), c, app, event("ev-"+app.Key, "cardcore.app.create"))
}

// audited reports whether the audit log holds the event id.
func audited(t *testing.T, s store, id string) bool {
	t.Helper()
	page, err := s.ListAudit(t.Context(), jeton.AuditFilter{Limit: 1000})
	evs := page.Events
	storetest.OK(t, "list audit", err)
	for _, e := range evs {
		if e.ID == id {
			return true
		}
	}
	return false
}

var cases = []storetest.Case[store]{
	{Name: "CardCore/ListApps", Run: func(t *testing.T, s store) {
		// The console's list: one institution's live applications by key, paged.
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "")
		storetest.Seed(t, s, "inst-b", "")
		keys := []string{"4444", "1111", "3333", "2222", "5555"}
		for i, k := range keys {
			app := newCardCoreApp(fmt.Sprintf("client-%d", i), "inst-a", k+strings.Repeat("0", 28))
			app.RecordID = fmt.Sprintf("rec%021d", i)
			storetest.OK(t, "create", createApp(t, s, app))
		}
		otherApp := newCardCoreApp("client-b", "inst-b", keyB)
		storetest.OK(t, "create other", createApp(t, s, otherApp))
		_, err := s.DeleteCardCoreApp(ctx, "inst-a", "3333"+strings.Repeat("0", 28), storetest.At(time.Hour), event("ev-del", "cardcore.app.delete"))
		storetest.OK(t, "delete", err)
		var got []string
		after := ""
		for range 10 {
			page, err := s.ListCardCoreApps(ctx, "inst-a", after, 2)
			storetest.OK(t, "list", err)
			if len(page) > 2 {
				t.Fatalf("page of %d, asked for 2", len(page))
			}
			if len(page) == 0 {
				break
			}
			for _, a := range page {
				if a.InstitutionID != "inst-a" || a.InstitutionRecordID == "" || a.Deleted {
					t.Fatalf("listed %+v", a)
				}
				got = append(got, a.Key[:4])
			}
			after = page[len(page)-1].Key
		}
		storetest.Same(t, "keys", got, []string{"1111", "2222", "4444", "5555"})
		page, err := s.ListCardCoreApps(ctx, "inst-a", "", 1)
		storetest.OK(t, "first", err)
		want, _ := s.GetCardCoreApp(ctx, page[0].ClientID)
		storetest.Same(t, "listed app", page[0], want)
		none, err := s.ListCardCoreApps(ctx, "inst-c", "", 10)
		storetest.OK(t, "unknown institution", err)
		if len(none) != 0 {
			t.Fatalf("unknown institution listed %d", len(none))
		}
	}},
	{Name: "CardCore/AppRoundTripAndScoping", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "")
		storetest.Seed(t, s, "inst-b", "")
		app := newCardCoreApp("client-a", "inst-a", keyA)
		storetest.OK(t, "create app", createApp(t, s, app))
		got, err := s.GetCardCoreApp(ctx, "client-a")
		storetest.OK(t, "get app", err)
		storetest.Same(t, "app", got, app)
		gotC, err := s.GetClient(ctx, "client-a")
		storetest.OK(t, "get client", err)
		storetest.Same(t, "client", gotC, storetest.NewClient("client-a", "inst-a"))
		if !audited(t, s, "ev-"+keyA) {
			t.Error("the creation's audit event is missing")
		}
		got, err = s.GetCardCoreAppByKey(ctx, "inst-a", keyA)
		storetest.OK(t, "get app by key", err)
		storetest.Same(t, "app by key", got, app)
		_, err = s.GetCardCoreAppByKey(ctx, "inst-b", keyA)
		storetest.Is(t, "other institution's key", err, jeton.ErrNotFound)

		// The institution's record id is assigned once: a second application's
		// candidate loses to the stored one.
		app2 := newCardCoreApp("client-a2", "inst-a", keyB)
		app2.RecordID, app2.InstitutionRecordID = "rec2", "another-candidate"
		storetest.OK(t, "create second app", createApp(t, s, app2))
		got, err = s.GetCardCoreApp(ctx, "client-a2")
		storetest.OK(t, "get second app", err)
		storetest.Same(t, "institution record id kept", got.InstitutionRecordID, app.InstitutionRecordID)

		dup := newCardCoreApp("client-b", "inst-b", keyA)
		dup.RecordID = "rec3"
		storetest.Is(t, "duplicate key", createApp(t, s, dup), jeton.ErrConflict)
		_, err = s.GetClient(ctx, "client-b")
		storetest.Is(t, "no client-b", err, jeton.ErrNotFound)
		other := newCardCoreApp("client-d", "inst-a", "cccccccccccccccccccccccccccccccc")
		err = s.CreateCardCoreApp(ctx, storetest.NewClient("client-d", "inst-b"), other, event("ev-other", "cardcore.app.create"))
		storetest.Is(t, "client of another institution", err, jeton.ErrNotFound)
		err = s.CreateCardCoreApp(ctx, storetest.NewClient("client-a", "inst-a"),
			newCardCoreApp("client-a", "inst-a", "dddddddddddddddddddddddddddddddd"), event("ev-again", "cardcore.app.create"))
		storetest.Is(t, "duplicate client", err, jeton.ErrConflict)
	}},
	{Name: "CardCore/CreateIsAtomic", Run: func(t *testing.T, s store) {
		// A failure of any insert after the client's leaves no client row, no
		// application and no audit event; a failing audit insert undoes the rest.
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "")
		storetest.OK(t, "create app", createApp(t, s, newCardCoreApp("client-a", "inst-a", keyA)))
		dup := newCardCoreApp("client-x", "inst-a", keyA)
		dup.RecordID = "rec-x"
		err := s.CreateCardCoreApp(ctx, storetest.NewClient("client-x", "inst-a"), dup, event("ev-x", "cardcore.app.create"))
		storetest.Is(t, "app insert fails", err, jeton.ErrConflict)
		_, err = s.GetClient(ctx, "client-x")
		storetest.Is(t, "no client row after a failed app insert", err, jeton.ErrNotFound)
		if audited(t, s, "ev-x") {
			t.Error("a failed creation left its audit event")
		}
		err = s.CreateCardCoreApp(ctx, storetest.NewClient("client-y", "inst-a"),
			newCardCoreApp("client-y", "inst-a", keyB), event("ev-"+keyA, "cardcore.app.create"))
		storetest.Is(t, "audit insert fails", err, jeton.ErrConflict)
		_, err = s.GetClient(ctx, "client-y")
		storetest.Is(t, "no client row after a failed audit insert", err, jeton.ErrNotFound)
		_, err = s.GetCardCoreApp(ctx, "client-y")
		storetest.Is(t, "no app after a failed audit insert", err, jeton.ErrNotFound)
	}},
	{Name: "CardCore/UpdateAndSoftDelete", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "")
		storetest.Seed(t, s, "inst-b", "")
		app := newCardCoreApp("client-a", "inst-a", keyA)
		storetest.OK(t, "create app", createApp(t, s, app))
		c, err := s.GetClient(ctx, "client-a")
		storetest.OK(t, "get client", err)
		c.Name, c.Scopes, c.UpdatedAt = "Renamed", []string{"READ"}, storetest.At(time.Minute)
		app.Description, app.WebsiteURL, app.UpdatedAt = "new", "https://new.example", storetest.At(time.Minute)
		storetest.OK(t, "update", s.UpdateCardCoreApp(ctx, c, app, event("ev-update", "cardcore.app.update")))
		got, err := s.GetCardCoreApp(ctx, "client-a")
		storetest.OK(t, "get app", err)
		storetest.Same(t, "updated app", got, app)
		gotC, err := s.GetClient(ctx, "client-a")
		storetest.OK(t, "get client", err)
		storetest.Same(t, "updated client", gotC, c)
		if !audited(t, s, "ev-update") {
			t.Error("the update's audit event is missing")
		}

		other := app
		other.InstitutionID = "inst-b"
		storetest.Is(t, "update through another institution", s.UpdateCardCoreApp(ctx, c, other, event("ev-u2", "cardcore.app.update")), jeton.ErrNotFound)
		_, err = s.DeleteCardCoreApp(ctx, "inst-b", keyA, storetest.At(time.Hour), event("ev-d2", "cardcore.app.delete"))
		storetest.Is(t, "delete through another institution", err, jeton.ErrNotFound)
		if audited(t, s, "ev-u2") || audited(t, s, "ev-d2") {
			t.Error("a failed change left its audit event")
		}
		renamed := c
		renamed.Name = "Not kept"
		err = s.UpdateCardCoreApp(ctx, renamed, app, event("ev-update", "cardcore.app.update"))
		storetest.Is(t, "update with a duplicate audit event", err, jeton.ErrConflict)
		gotC, err = s.GetClient(ctx, "client-a")
		storetest.OK(t, "get client", err)
		storetest.Same(t, "client kept after a failed audit insert", gotC, c)

		id, err := s.DeleteCardCoreApp(ctx, "inst-a", keyA, storetest.At(time.Hour), event("ev-delete", "cardcore.app.delete"))
		storetest.OK(t, "delete", err)
		storetest.Same(t, "deleted client id", id, "client-a")
		if !audited(t, s, "ev-delete") {
			t.Error("the deletion's audit event is missing")
		}
		got, err = s.GetCardCoreApp(ctx, "client-a")
		storetest.OK(t, "get deleted app", err)
		if !got.Deleted || !got.UpdatedAt.Equal(storetest.At(time.Hour)) {
			t.Errorf("deleted app = %+v, want Deleted at %v", got, storetest.At(time.Hour))
		}
		gotC, err = s.GetClient(ctx, "client-a")
		storetest.OK(t, "get deleted client", err)
		storetest.Same(t, "client status", gotC.Status, jeton.ClientDeleted)
		_, err = s.DeleteCardCoreApp(ctx, "inst-a", keyA, storetest.At(2*time.Hour), event("ev-d3", "cardcore.app.delete"))
		storetest.Is(t, "delete twice", err, jeton.ErrNotFound)
		storetest.Is(t, "update deleted", s.UpdateCardCoreApp(ctx, c, app, event("ev-u3", "cardcore.app.update")), jeton.ErrNotFound)
	}},
	{Name: "CardCore/DeleteRace", Run: func(t *testing.T, s store) {
		ctx := t.Context()
		storetest.Seed(t, s, "inst-a", "")
		storetest.OK(t, "create app", createApp(t, s, newCardCoreApp("client-a", "inst-a", keyA)))
		errs := storetest.Race(func(i int) error {
			ev := event(fmt.Sprintf("ev-delete-%d", i), "cardcore.app.delete")
			_, err := s.DeleteCardCoreApp(ctx, "inst-a", keyA, storetest.At(time.Hour), ev)
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

package cardcore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
	"github.com/jeton/jeton/internal/ttlcache"
)

// Apps caches applications by client id for the token hot path (the assertion's iss
// check and the answer's identifiers), for ttl at most; Invalidate drops one at once.
// Like clientcache, the TTL bounds how stale another replica's view may be. The cache
// holds at most ttlcache.DefaultMax applications.
type Apps struct {
	store cardcorestore.Store
	now   func() time.Time
	cache ttlcache.Cache[string, cardcorestore.App]
}

// NewApps returns a cache over store; a ttl of zero disables caching.
func NewApps(store cardcorestore.Store, ttl time.Duration, now func() time.Time) *Apps {
	if now == nil {
		now = time.Now
	}
	a := &Apps{store: store, now: now}
	a.cache.TTL = ttl
	return a
}

// App returns the application of clientID (deleted ones too).
func (a *Apps) App(ctx context.Context, clientID string) (cardcorestore.App, error) {
	return a.cache.Load(clientID, a.now(), func() (cardcorestore.App, error) {
		return a.store.GetCardCoreApp(ctx, clientID)
	})
}

// Stats are the cache's lookups (metrics).
func (a *Apps) Stats() ttlcache.Stats { return a.cache.Stats() }

// Invalidate drops clientID's entry.
func (a *Apps) Invalidate(clientID string) { a.cache.Invalidate(clientID) }

// Algs are the assertion algorithms CardCore applications may use.
var Algs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256}

// AssertionProfile is CardCore's claim rules for clientauth.Assertion: the client must
// be a live CardCore application whose key is the request's institutionId, and iss is
// its registered website URL (any non-empty iss when it has none).
func AssertionProfile(apps *Apps) *clientauth.Profile {
	return &clientauth.Profile{Algs: Algs, Issuer: func(ctx context.Context, c *jeton.Client, cred clientauth.Credentials) (string, error) {
		app, err := apps.App(ctx, c.ID)
		switch {
		case errors.Is(err, jeton.ErrNotFound):
			return "", refuse(jeton.ReasonWrongAuthMethod, "client is not a CardCore application")
		case err != nil:
			return "", jeton.ServerError(err)
		case app.Deleted:
			return "", refuse(jeton.ReasonClientInactive, "application is deleted")
		case !strings.EqualFold(app.Key, cred.AppKey):
			return "", refuse(jeton.ReasonInstitution, "institutionId is not the application's key")
		}
		return app.WebsiteURL, nil
	}}
}

// refuse is the one invalid_client answer (RFC 6749 §5.2); the cause is for the log.
func refuse(reason jeton.Reason, cause string) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidClient, reason, "client authentication failed").WithCause(errors.New(cause))
}

package cardcore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

// maxCachedApps bounds the application cache.
const maxCachedApps = 10000

// Apps caches applications by client id for the token hot path (the assertion's iss
// check and the answer's identifiers), for ttl at most; Invalidate drops one at once.
// Like clientcache, the TTL bounds how stale another replica's view may be.
type Apps struct {
	store jeton.CardCoreStore
	ttl   time.Duration
	now   func() time.Time

	mu sync.RWMutex
	m  map[string]cachedApp
}

type cachedApp struct {
	app     jeton.CardCoreApp
	expires time.Time
}

// NewApps returns a cache over store; a ttl of zero disables caching.
func NewApps(store jeton.CardCoreStore, ttl time.Duration, now func() time.Time) *Apps {
	if now == nil {
		now = time.Now
	}
	return &Apps{store: store, ttl: ttl, now: now, m: map[string]cachedApp{}}
}

// App returns the application of clientID (deleted ones too).
func (a *Apps) App(ctx context.Context, clientID string) (jeton.CardCoreApp, error) {
	now := a.now()
	a.mu.RLock()
	e, ok := a.m[clientID]
	a.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.app, nil
	}
	app, err := a.store.GetCardCoreApp(ctx, clientID)
	if err != nil {
		return app, err
	}
	if a.ttl > 0 {
		a.mu.Lock()
		if len(a.m) >= maxCachedApps {
			clear(a.m)
		}
		a.m[clientID] = cachedApp{app: app, expires: now.Add(a.ttl)}
		a.mu.Unlock()
	}
	return app, nil
}

// Invalidate drops clientID's entry.
func (a *Apps) Invalidate(clientID string) {
	a.mu.Lock()
	delete(a.m, clientID)
	a.mu.Unlock()
}

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

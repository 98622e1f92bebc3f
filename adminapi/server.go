// Package adminapi is jeton's admin REST API (served on its own listener, never on the
// public one) and the Go client that the CLI uses to talk to it.
//
// Every route sits under /admin/v1/, speaks JSON and requires the admin bearer token
// (RFC 6750 §2.1). Inputs are validated strictly — unknown fields are errors (DESIGN
// rule 4) — and every error names the offending field. Every change is written to the
// audit log; no secret is ever logged or audited.
package adminapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/reqlog"
)

// KeyManager is the part of keys.Manager the admin API needs.
type KeyManager interface {
	List(ctx context.Context) ([]jeton.SigningKey, error)
	// RotateAudited rotates alg's key and appends ev, completed with the keys, in the
	// rotation's own transaction.
	RotateAudited(ctx context.Context, alg string, ev jeton.AuditEvent) (jeton.SigningKey, error)
}

// Config wires the admin API.
type Config struct {
	Store jeton.Store
	Keys  KeyManager // nil: the key routes answer 503
	// Token is the admin bearer token. Empty refuses every request.
	Token string
	Now   func() time.Time // default time.Now
	// Invalidate is called with a client id after every change to that client, so
	// that the token endpoint's client cache drops it. May be nil.
	Invalidate func(clientID string)
	// InvalidateCalendar is called with an institution id after every change to its
	// working-hours calendar, so the token endpoint's calendar cache drops it. May be
	// nil.
	InvalidateCalendar func(institutionID string)
	// InvalidateRateLimit is called after every change to a rate-limit override, so
	// the limiter's override cache drops it. May be nil.
	InvalidateRateLimit func(scope jeton.RateLimitScope, id string)
	Logger              *slog.Logger    // default slog.Default()
	Password            password.Params // argon2id cost for customer passwords; zero: DefaultParams
	// KEK is the key-encryption key (keys.LoadKEK) under which client_secret_jwt
	// secrets are sealed; without it such clients cannot be registered.
	KEK []byte
	// JWKSAllowHosts are jwks_uri hosts that may name a loopback, private, link-local
	// or metadata address (serve's --jwks-allow-hosts, for test setups); every other
	// jwks_uri naming such an address literally is refused.
	JWKSAllowHosts []string
	// Routes are the vendor modules' routes (module.Module.AdminRoutes).
	Routes []Routes
	// Clients is the clients service the client routes call; nil: one built from
	// Store, KEK, JWKSAllowHosts, Invalidate, Now and Events.
	Clients *clients.Service
	// Events, when set, is told of each key rotation (jeton.EventKeyRotated, reason
	// admin).
	Events jeton.SecurityObserver
}

// maxBody bounds every request body (DESIGN rule 4).
const maxBody = 64 << 10

// actor is the audit actor of every admin change; there is one admin token, so there
// is no finer identity to record.
const actor = "admin"

type server struct {
	cfg         Config
	tokenDigest [32]byte
	cursorKey   []byte // signs audit cursors (audit.go)
	clients     *clients.Service
}

// New returns the admin API handler. Mount it at the root of the admin listener; it
// answers /admin/v1/... and a JSON 404 elsewhere.
func New(cfg Config) http.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Password == (password.Params{}) {
		cfg.Password = password.DefaultParams
	}
	s := &server{cfg: cfg, tokenDigest: sha256.Sum256([]byte(cfg.Token)), clients: cfg.Clients}
	s.cursorKey = cursorKey(s.tokenDigest)
	if s.clients == nil {
		s.clients = clients.New(clients.Config{Store: cfg.Store, KEK: cfg.KEK, Events: cfg.Events,
			JWKSAllowHosts: cfg.JWKSAllowHosts, Invalidate: cfg.Invalidate, Now: cfg.Now})
	}
	return s.commonHeaders(s.requireToken(s.routes()))
}

func (s *server) routes() http.Handler {
	r := router{mux: http.NewServeMux(), s: s}
	r.route("/admin/v1/institutions", methods{"GET": s.listInstitutions, "POST": s.createInstitution})
	r.route("/admin/v1/institutions/{id}", methods{"GET": s.getInstitution, "PATCH": s.updateInstitution})
	r.route("/admin/v1/clients", methods{"GET": s.listClients, "POST": s.createClient})
	r.route("/admin/v1/clients/{id}", methods{"GET": s.getClient, "PATCH": s.updateClient, "DELETE": s.deleteClient})
	r.route("/admin/v1/clients/{id}/secret", methods{"POST": s.rotateSecret})
	r.route("/admin/v1/institutions/{id}/hours", methods{"GET": s.getHours, "PUT": s.putHours, "DELETE": s.deleteHours})
	r.route("/admin/v1/institutions/{id}/customers", methods{"GET": s.listCustomers, "POST": s.createCustomer})
	r.route("/admin/v1/institutions/{id}/customers/{cid}", methods{"GET": s.getCustomer})
	r.route("/admin/v1/institutions/{id}/customers/{cid}/password", methods{"PUT": s.setPassword})
	r.route("/admin/v1/institutions/{id}/customers/{cid}/unlock", methods{"POST": s.unlockCustomer})
	r.route("/admin/v1/keys", methods{"GET": s.listKeys})
	r.route("/admin/v1/keys/rotate", methods{"POST": s.rotateKey})
	r.route("/admin/v1/audit", methods{"GET": s.listAudit})
	r.route("/admin/v1/ratelimits", methods{"GET": s.listRateLimits})
	r.route("/admin/v1/ratelimits/{scope}/{id}", methods{"GET": s.getRateLimit, "PUT": s.putRateLimit, "DELETE": s.deleteRateLimit})
	for _, add := range s.cfg.Routes {
		add(Router{r})
	}
	s.routeOIDC(r)
	r.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, notFound("route"))
	})
	return r.mux
}

// commonHeaders sets what every answer carries, errors included: admin answers hold
// secrets and must not be cached (RFC 9111 §5.2.2.5), and they are never to be sniffed
// as anything but JSON.
func (s *server) commonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// requireToken checks the bearer token (RFC 6750 §2.1) before routing, so that an
// unauthenticated caller learns nothing, not even which routes exist. Digests of equal
// length are compared in constant time, so neither the token nor its length leaks.
func (s *server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			// RFC 6750 §3.1: no error code when the request had no credentials.
			w.Header().Set("WWW-Authenticate", `Bearer realm="jeton-admin"`)
			s.writeError(w, r, &APIError{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "missing bearer token"})
			return
		}
		d := sha256.Sum256([]byte(tok))
		if s.cfg.Token == "" || subtle.ConstantTimeCompare(d[:], s.tokenDigest[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="jeton-admin", error="invalid_token"`)
			s.writeError(w, r, &APIError{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "invalid bearer token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) now() time.Time {
	// Microseconds: the finest precision both SQLite and PostgreSQL keep, so that what
	// a create answers equals what a later read returns.
	return s.cfg.Now().UTC().Truncate(time.Microsecond)
}

// event is the audit event of an admin change that the store writes in the change's
// own transaction (an ...Audited store method): both are kept or neither is, so an
// answer other than success means nothing happened, and no change is missing from
// the log. details gain the request's client address.
func (s *server) event(ctx context.Context, institutionID, action, subject string, details map[string]string) jeton.AuditEvent {
	return jeton.AuditEvent{
		ID: jeton.NewID(), At: s.now(), InstitutionID: institutionID,
		Actor: actor, Action: action, Subject: subject, Details: reqlog.AuditDetails(ctx, details),
	}
}

// withFields adds "fields", the names of the input fields a change set, to details:
// for a change that before/after cannot show (a password).
func withFields(details map[string]string, fields string) map[string]string {
	details["fields"] = fields
	return details
}

// orNil is v for an audit event's before, or nil when reading it found nothing (err
// is then jeton.ErrNotFound; the caller returned on any other error).
func orNil[T any](v T, err error) any {
	if err != nil {
		return nil
	}
	return v
}

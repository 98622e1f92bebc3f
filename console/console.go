// Package console is jeton's web console (docs/console.md): server-rendered pages on
// the admin listener, under /console/, where operators run every institution and an
// institution's administrators run their own. Everything it changes goes through the
// services the admin API uses (clients.Service for applications), with the console
// user as the audit actor ("console:<username>").
package console

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/password"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Prefix is where the console is mounted on the admin listener.
const Prefix = "/console/"

// KeyManager is the part of keys.Manager the console needs.
type KeyManager interface {
	List(ctx context.Context) ([]jeton.SigningKey, error)
	RotateAudited(ctx context.Context, alg string, ev jeton.AuditEvent) (jeton.SigningKey, error)
}

// Config wires the console.
type Config struct {
	Store   jeton.Store
	Clients *clients.Service // the admin API's clients service
	Keys    KeyManager       // nil: the signing-keys page says so
	TOTP    *keys.TOTPSealer
	// Issuer is the public base URL shown in the copy-paste requests.
	Issuer string
	// Secure marks the session cookie Secure: set when the admin listener serves TLS.
	Secure bool
	// IdleTimeout ends a session not used for this long (default 15 min); MaxAge ends
	// any session this long after sign-in (default 12 h).
	IdleTimeout, MaxAge time.Duration
	// Lockout is the sign-in budget (zero fields: 5 failures in 15 min lock for 15 min).
	Lockout jeton.LockoutPolicy
	// Limit is the password rate limit (ratelimit.Limiter.Password); may be nil.
	Limit func(ctx context.Context, institutionID, username string) error
	// InvalidateCalendar drops an institution's calendar from the token endpoint's
	// cache after a change to its working hours. May be nil.
	InvalidateCalendar func(institutionID string)
	// Activity draws the activity chart; nil: the page says metrics are off.
	Activity *Activity
	Password password.Params // argon2id cost for customer passwords
	// Extensions are the vendor modules' pages (module.ConsolePages).
	Extensions []Extension
	Logger     *slog.Logger
	Now        func() time.Time
}

// Server is the console's handler.
type Server struct {
	cfg   Config
	pages pages
	mux   *http.ServeMux
	nav   []navEntry // the extensions' navigation entries
}

// New returns the console; mount it at Prefix on the admin listener.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Minute
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 12 * time.Hour
	}
	if cfg.Lockout.MaxFailures <= 0 {
		cfg.Lockout.MaxFailures = 5
	}
	if cfg.Lockout.Window <= 0 {
		cfg.Lockout.Window = 15 * time.Minute
	}
	if cfg.Lockout.Cooldown <= 0 {
		cfg.Lockout.Cooldown = 15 * time.Minute
	}
	if cfg.Password == (password.Params{}) {
		cfg.Password = password.DefaultParams
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, pages: p, mux: http.NewServeMux()}
	s.routes()
	for _, ext := range cfg.Extensions {
		if err := s.addExtension(ext); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ServeHTTP answers every console request with the headers every page carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	// Only our own script and style; inline style attributes carry the brand colour.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	s.mux.ServeHTTP(w, r)
}

// maxBody bounds every request: a public key upload is the largest thing a form sends.
const maxBody = 256 << 10

func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /console/static/", http.StripPrefix("/console/", http.FileServerFS(assets)))
	m.HandleFunc("GET /console/signin", s.signInPage)
	m.HandleFunc("POST /console/signin", s.signIn)
	m.HandleFunc("POST /console/signout", s.authed(s.signOut))
	m.HandleFunc("GET /console/{$}", s.authed(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		http.Redirect(w, r, "/console/apps", http.StatusSeeOther)
	}))
	m.HandleFunc("GET /console/apps", s.authed(s.appList))
	m.HandleFunc("GET /console/apps/new", s.authed(s.appNew))
	m.HandleFunc("POST /console/apps", s.authed(s.appCreate))
	m.HandleFunc("GET /console/apps/{id}", s.authed(s.appPage))
	m.HandleFunc("POST /console/apps/{id}/secret", s.authed(s.appRotate))
	m.HandleFunc("POST /console/apps/{id}/status", s.authed(s.appStatus))
	m.HandleFunc("GET /console/apps/{id}/delete", s.authed(s.appDeleteConfirm))
	m.HandleFunc("POST /console/apps/{id}/delete", s.authed(s.appDelete))
	m.HandleFunc("GET /console/institutions", s.authed(s.institutionList))
	m.HandleFunc("GET /console/customers", s.authed(s.customerList))
	m.HandleFunc("POST /console/customers/{inst}/{cid}/unlock", s.authed(s.customerUnlock))
	m.HandleFunc("POST /console/customers/{inst}/{cid}/password", s.authed(s.customerPassword))
	m.HandleFunc("GET /console/hours", s.authed(s.hoursPage))
	m.HandleFunc("POST /console/hours", s.authed(s.hoursSave))
	m.HandleFunc("GET /console/keys", s.authed(s.keyList))
	m.HandleFunc("POST /console/keys/rotate", s.authed(s.keyRotate))
	m.HandleFunc("GET /console/audit", s.authed(s.auditList))
	m.HandleFunc("GET /console/users", s.authed(s.userList))
	m.HandleFunc("GET /console/users/{id}/{op}", s.authed(s.userConfirm))
	m.HandleFunc("POST /console/users/{id}/{op}", s.authed(s.userSet))
	m.HandleFunc("GET /console/activity", s.authed(s.activityPage))
	m.HandleFunc("GET /console/activity/chart", s.authed(s.activityChart))
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) { s.notFound(w, r, nil) })
}

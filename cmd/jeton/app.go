package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/auditlog"
	"github.com/jeton/jeton/calendarcache"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/console"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/internal/every"
	"github.com/jeton/jeton/internal/storeobs"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/janitor"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/metrics"
	"github.com/jeton/jeton/module"
	"github.com/jeton/jeton/postgres"
	"github.com/jeton/jeton/rar"
	"github.com/jeton/jeton/ratelimit"
	"github.com/jeton/jeton/sqlite"
	"github.com/jeton/jeton/tlsserve"
)

// app is a running jeton: the store, the keys, and the two listeners.
type app struct {
	cfg      serveConfig
	logger   *slog.Logger
	store    jeton.Store
	keys     *keys.Manager
	schedule *keys.Scheduler
	kek      []byte
	// activity samples the metrics registry for the console's activity chart.
	activity *console.Activity
	// previousKEKs open what is still sealed under an old KEK (a KEK rotation).
	previousKEKs [][]byte
	// ring is every KEK this server holds; holder names it in the store's KEK holders.
	ring      *keys.Keyring
	holder    string
	cache     *clientcache.Cache
	calendars *calendarcache.Cache
	public    *http.Server
	admin     *http.Server
	publicLn  net.Listener
	adminLn   net.Listener
	// extra are vendor modules' own listeners (e.g. --cardcore-addr).
	extra []extraServer
	// certs are every listener's certificates, reloaded together (docs/tls.md).
	certs *tlsserve.Set
	// publicTLS: the public listener serves HTTPS.
	publicTLS bool
	proxies   httpapi.TrustedProxies
	limiter   *ratelimit.Limiter
	// securityAudit aggregates security events into the audit log (auditlog).
	securityAudit *auditlog.Aggregator
	// reg is the registry /metrics serves; metrics are jeton's own in it.
	reg     *registry
	metrics *metrics.Set
	// events receive every security event (securityObservers).
	events jeton.SecurityObservers
	// tracer is nil unless traces are exported; flushTraces sends what is buffered.
	tracer      *tracing.Tracer
	flushTraces func(context.Context) error
	// Issuer is the resolved public base URL.
	Issuer string
	// details are the authorization_details types (RFC 9396); requestObjects
	// verifies signed request objects (RFC 9101). Both are built with the engine.
	details        *rar.Registry
	requestObjects *clientauth.RequestObjects
}

// startApp opens and checks everything before it binds a port, so a bad database or a
// wrong key-encryption key fails the start with a clear message, never a request.
func startApp(ctx context.Context, cfg serveConfig, logger *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, logger: logger}
	if err := a.start(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) start(ctx context.Context) (err error) {
	cfg := a.cfg
	if cfg.AuditRetention < 0 {
		return errors.New("--audit-retention must not be negative (0 keeps the audit log forever)")
	}
	if cfg.ClientCacheMax <= 0 {
		return errors.New("--client-cache-max must be positive")
	}
	if cfg.JanitorPause < 0 {
		return errors.New("--janitor-pause must not be negative")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	a.tracer, a.flushTraces, err = tracing.Setup(ctx, tracing.Config{Endpoint: cfg.OTLPEndpoint, Version: buildVersion(), Logger: a.logger})
	if err != nil {
		return fmt.Errorf("traces: %w", err)
	}
	var kind string
	if a.store, kind, err = openStore(ctx, cfg.DataDir, cfg.Database); err != nil {
		return err
	}
	if kind == "sqlite" || cfg.Migrate {
		if err := a.store.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate %s: %w", kind, err)
		}
	} else if err := requireMigrated(ctx, a.store, kind, " or pass --migrate"); err != nil {
		return err
	}
	a.observe(kind)
	if err := a.loadKeys(ctx); err != nil {
		return err
	}
	adminToken, err := a.adminToken()
	if err != nil {
		return err
	}
	if err := a.listen(); err != nil {
		return err
	}
	if err := a.buildServers(adminToken); err != nil {
		return err
	}
	// Start-up is the memory peak of an idle server: key generation and the password
	// pool's dummy argon2id hash (19 MiB by default) are garbage now. Hand that memory
	// back to the OS at once rather than when the scavenger gets to it.
	debug.FreeOSMemory()
	a.logger.Info("jeton started", "version", buildVersion(), "database", kind, "issuer", a.Issuer,
		"public", a.publicLn.Addr().String(), "admin", a.adminLn.Addr().String(), "traces", a.tracer != nil)
	return nil
}

// requireMigrated stops a command on a database that lacks this build's migrations,
// saying how to apply them (orAlso: the command's own way, if any), instead of letting
// it fail on the first missing table.
func requireMigrated(ctx context.Context, store jeton.Store, kind, orAlso string) error {
	c, ok := store.(interface{ CheckMigrated(context.Context) error })
	if !ok {
		return nil
	}
	err := c.CheckMigrated(ctx)
	if !errors.Is(err, jeton.ErrNotMigrated) {
		return err
	}
	if kind == "sqlite" {
		return fmt.Errorf("%w: run `jeton migrate` with the same --data-dir/--database, or start `jeton serve`, which migrates SQLite", err)
	}
	return fmt.Errorf("%w: run `jeton migrate --database postgres://…` (with this --database)%s", err, orAlso)
}

// openStore picks the backend from the --database value.
func openStore(ctx context.Context, dataDir, database string) (jeton.Store, string, error) {
	if strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://") {
		s, err := postgres.Open(ctx, database)
		if err != nil {
			return nil, "", err
		}
		return s, "postgres", nil
	}
	path := database
	if path == "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, "", fmt.Errorf("data dir: %w", err)
		}
		path = filepath.Join(dataDir, "jeton.db")
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, "", err
	}
	return s, "sqlite", nil
}

func (a *app) loadKeys(ctx context.Context) error {
	kekFile := a.cfg.KEKFile
	if kekFile == "" {
		kekFile = filepath.Join(a.cfg.DataDir, "kek")
	}
	var err error
	if a.kek, err = keys.LoadKEK(kekFile, os.Getenv("JETON_KEK")); err != nil {
		return err
	}
	if a.previousKEKs, err = keys.LoadPreviousKEKs(a.cfg.PreviousKEKFiles, os.Getenv("JETON_PREVIOUS_KEK")); err != nil {
		return err
	}
	a.keys = keys.NewManager(a.store, a.kek, keys.Config{PublishDelay: a.cfg.PublishDelay, MaxTokenTTL: a.cfg.MaxTokenTTL,
		PreviousKEKs: a.previousKEKs})
	if err := a.keys.Load(ctx); err != nil {
		return err
	}
	if a.ring, err = keys.NewKeyring(a.kek, a.previousKEKs...); err != nil {
		return err
	}
	a.logger.Info("key-encryption keys loaded", "current", a.ring.CurrentID(), "previous", a.ring.IDs()[1:])
	a.holder = keys.NewHolderID()
	a.reportKEKs(ctx)
	a.schedule, err = keys.NewScheduler(a.keys, keys.ScheduleConfig{Interval: a.cfg.KeyRotationInterval, Events: a.events, Logger: a.logger})
	return err
}

// adminToken reads <data-dir>/admin-token, creating it (0600, 256 random bits) at first
// start. The log says where it is, never what it is.
func (a *app) adminToken() (string, error) {
	path := filepath.Join(a.cfg.DataDir, adminTokenFile)
	b, err := os.ReadFile(path)
	if err == nil {
		tok := strings.TrimSpace(string(b))
		if len(tok) < 32 {
			return "", fmt.Errorf("admin token %s is too short (need at least 32 characters)", path)
		}
		return tok, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("admin token: %w", err)
	}
	tok := jeton.NewSecret()
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	a.logger.Info("created admin API token", "file", path)
	return tok, nil
}

// listen binds the public and admin listeners, each HTTPS when given a certificate.
// The issuer defaults to the public listener's URL, https:// when it serves TLS.
func (a *app) listen() (err error) {
	clientCerts, err := tlsserve.ParseClientCerts(a.cfg.TLSClientCerts)
	if err != nil {
		return err
	}
	if err := errors.Join(a.cfg.TLS.Check("tls"), a.cfg.AdminTLS.Check("admin-tls")); err != nil {
		return err
	}
	if clientCerts != tlsserve.ClientCertsOff && !a.cfg.TLS.Enabled() {
		return errors.New("--tls-client-certs request needs HTTPS on the public listener (--tls-cert/--tls-key)")
	}
	a.certs = &tlsserve.Set{Logger: a.logger}
	if a.publicLn, a.publicTLS, err = a.certs.Listen("public", a.cfg.Addr, a.cfg.TLS, clientCerts); err != nil {
		return err
	}
	adminLn, adminTLS, err := a.certs.Listen("admin", a.cfg.AdminAddr, a.cfg.AdminTLS, tlsserve.ClientCertsOff)
	if err != nil {
		return err
	}
	a.adminLn = adminLn
	a.Issuer = strings.TrimSuffix(a.cfg.Issuer, "/")
	if a.Issuer == "" {
		a.Issuer = scheme(a.publicTLS) + displayAddr(a.publicLn.Addr())
	}
	if !a.publicTLS {
		module.WarnPlain(a.logger, "public", a.publicLn.Addr())
	}
	adminURL := scheme(adminTLS) + displayAddr(a.adminLn.Addr())
	return os.WriteFile(filepath.Join(a.cfg.DataDir, adminURLFile), []byte(adminURL+"\n"), 0o600)
}

func scheme(tls bool) string {
	if tls {
		return "https://"
	}
	return "http://"
}

// displayAddr turns a bound address into one a client can dial (0.0.0.0 → localhost).
var displayAddr = module.DisplayAddr

// ready is /readyz: the store answers and a signing key is loaded.
func (a *app) ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_, err := a.keys.Signer("ES256")
	return err
}

// run serves until ctx ends (SIGTERM), then drains in-flight requests and closes the
// store.
func (a *app) run(ctx context.Context) error {
	errc := make(chan error, 2+len(a.extra))
	go func() { errc <- a.public.Serve(a.publicLn) }()
	go func() { errc <- a.admin.Serve(a.adminLn) }()
	for _, x := range a.extra {
		go func() { errc <- x.srv.Serve(x.ln) }()
	}
	go a.reloadKeys(ctx)
	go a.schedule.Run(ctx, scheduleCheck(a.cfg.KeyRotationInterval))
	go every.Run(ctx, keys.HolderReport, func() { a.reportKEKs(ctx) })
	if !a.certs.Empty() {
		a.certs.Watch(ctx, a.cfg.TLSReload)
		go a.reloadCertsOnHangup(ctx)
	}
	if a.activity != nil {
		go a.activity.Run(ctx)
	}
	go every.Run(ctx, time.Hour, func() { a.forgetConsoleSessions(ctx) })
	go janitor.Run(ctx, a.store, janitor.Config{Interval: a.cfg.JanitorInterval, Batch: a.cfg.JanitorBatch,
		Pause: a.cfg.JanitorPause, AuditRetention: a.cfg.AuditRetention, Logger: a.logger, Observer: a.metrics.Janitor()})
	go a.securityAudit.Run(ctx)
	if l, ok := storeobs.Inner(a.store).(changeListener); ok { // LISTEN is the backend's, not a store call to observe
		a.followChanges(ctx, l)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.logger.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	err = errors.Join(err, a.public.Shutdown(sctx), a.admin.Shutdown(sctx))
	for _, x := range a.extra {
		err = errors.Join(err, x.srv.Shutdown(sctx))
	}
	// The drained requests may have reported events: write them before the store
	// closes (a failure is logged; the events are lost with the process).
	_ = a.securityAudit.Flush(sctx)
	a.close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// reloadCertsOnHangup reloads every listener's certificate on SIGHUP, at once rather
// than at the next poll; a pair that does not load leaves the one in use.
func (a *app) reloadCertsOnHangup(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			a.logger.Info("SIGHUP: reloading certificates")
			_ = a.certs.Reload() // each failure is logged by the set
		}
	}
}

// reportKEKs records in the store which KEKs this server holds, for `jeton kek rotate`
// (keys.CheckHolders). A failure only delays that record; serving goes on.
func (a *app) reportKEKs(ctx context.Context) {
	if err := keys.ReportHolder(ctx, a.store, a.holder, a.ring, time.Now()); err != nil && ctx.Err() == nil {
		a.logger.Warn("KEK holder report failed", "err", err)
	}
}

// scheduleCheck is how often the rotation schedule is checked: every minute, or a tenth
// of a (test-sized) interval shorter than ten minutes, but at most once a second. A
// check costs no store call unless a key is due.
func scheduleCheck(interval time.Duration) time.Duration {
	return min(keys.ScheduleCheck, max(interval/10, time.Second))
}

// reloadKeys picks up rotations made by other replicas and deletes keys whose last
// token has expired (Prune reloads too).
func (a *app) reloadKeys(ctx context.Context) {
	every.Run(ctx, a.cfg.KeyReload, func() {
		if _, err := a.keys.Prune(ctx); err != nil && ctx.Err() == nil {
			a.logger.Error("key reload failed", "err", err)
		}
	})
}

// changeListener is a store that reports changes made by any replica
// (postgres.Store, through LISTEN/NOTIFY): its Listen…Changes methods hold a
// dedicated connection, call changed with each changed id ("" when listening starts:
// anything may have changed meanwhile) and return when the connection breaks.
type changeListener interface {
	ListenClientChanges(ctx context.Context, changed func(clientID string)) error
	ListenCalendarChanges(ctx context.Context, changed func(institutionID string)) error
	ListenKeyChanges(ctx context.Context, changed func(kid string)) error
}

// followChanges keeps this replica's caches in step with changes made through any
// replica: clients, working-hours calendars and signing keys (a rotation on one
// replica is in every replica's JWKS at once, not at the next key reload).
func (a *app) followChanges(ctx context.Context, l changeListener) {
	go a.follow(ctx, "client", l.ListenClientChanges, a.cache.Changed, a.metrics.Listen("client"))
	go a.follow(ctx, "calendar", l.ListenCalendarChanges, a.calendars.Changed, a.metrics.Listen("calendar"))
	go a.follow(ctx, "signing key", l.ListenKeyChanges, func(string) {
		if err := a.keys.Reload(ctx); err != nil && ctx.Err() == nil {
			a.logger.Error("key reload after a change notification failed", "err", err)
		}
	}, a.metrics.Listen("signing_key"))
}

// listenRetry is how long a replica waits before it listens again after a broken
// connection. Meanwhile the caches' TTLs bound how stale this replica may be; when it
// listens again, changed("") drops everything it may have missed.
const listenRetry = time.Second

// follow runs listen until ctx ends, reconnecting after a broken connection; m shows
// whether it listens and counts what it delivers.
func (a *app) follow(ctx context.Context, what string, listen func(context.Context, func(string)) error, changed func(string), m *metrics.Listener) {
	for {
		err := listen(ctx, observed(m, changed))
		m.Up(false)
		if ctx.Err() != nil {
			return
		}
		a.logger.Warn(what+" change notifications interrupted; reconnecting", "err", err, "retry_in", listenRetry.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(listenRetry):
		}
	}
}

// observed reports a change listener's notifications to m: "" (sent once LISTEN
// succeeded) means the connection is up, anything else is one invalidation.
func observed(m *metrics.Listener, changed func(string)) func(string) {
	return func(id string) {
		if id == "" {
			m.Up(true)
		} else {
			m.Received()
		}
		changed(id)
	}
}

func (a *app) close() {
	for _, ln := range []net.Listener{a.publicLn, a.adminLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
	for _, x := range a.extra {
		_ = x.ln.Close()
	}
	if a.store != nil {
		if a.holder != "" {
			// A stopped server holds no KEK: it must not hold up a KEK rotation.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = a.store.RemoveKEKHolder(ctx, a.holder)
			cancel()
		}
		_ = a.store.Close()
	}
	if a.flushTraces != nil {
		// The spans of the last requests: sent, or dropped after a short wait for a
		// collector that does not answer.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.flushTraces(ctx); err != nil {
			a.logger.Warn("traces not flushed", "err", err)
		}
	}
}

// forgetConsoleSessions deletes console sessions past their idle timeout (they are
// refused anyway; this only keeps the table small).
func (a *app) forgetConsoleSessions(ctx context.Context) {
	if _, err := a.store.DeleteConsoleSessions(ctx, time.Now().Add(-a.cfg.ConsoleIdleTimeout)); err != nil && ctx.Err() == nil {
		a.logger.Warn("console: deleting idle sessions", "err", err)
	}
}

package main

import (
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jeton/jeton/auditlog"
	"github.com/jeton/jeton/clientcache"
	"github.com/jeton/jeton/janitor"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/module"
	"github.com/jeton/jeton/ratelimit"
	"github.com/jeton/jeton/tlsserve"
)

// serveConfig is every setting of `jeton serve` (see docs/configuration.md).
type serveConfig struct {
	Addr      string
	AdminAddr string
	DataDir   string
	Database  string
	Issuer    string
	Audience  []string
	KEKFile   string
	// PreviousKEKFiles are accepted for reading only, during a KEK rotation.
	PreviousKEKFiles []string
	Migrate          bool
	LogFormat        string
	LogLevel         string
	PublishDelay     time.Duration
	// KeyRotationInterval replaces every signing key this long after its creation
	// (0: never on a schedule).
	KeyRotationInterval time.Duration
	MaxTokenTTL         time.Duration
	KeyReload           time.Duration
	ClientCacheTTL      time.Duration
	ClientCacheMax      int
	ShutdownTimeout     time.Duration

	// HTTPS (docs/tls.md).
	TLS            tlsserve.Files
	AdminTLS       tlsserve.Files
	TLSClientCerts string
	TLSReload      time.Duration
	// Sender-constrained tokens (docs/sender-constrained.md): the CAs of
	// tls_client_auth, the header a trusted proxy forwards the client certificate
	// in, and DPoP.
	TLSClientCA      string
	ClientCertHeader string
	DPoP             bool
	DPoPNonce        bool

	// Client assertions (RFC 7523).
	AssertionAudience    []string
	AssertionMaxLifetime time.Duration
	ClockSkew            time.Duration
	RequireLowS          bool
	JWKSAllowHosts       []string
	// AuthorizationDetailsSchemas is a directory of TYPE.json JSON Schemas that
	// replace or extend the shipped authorization_details types (RFC 9396).
	AuthorizationDetailsSchemas string
	// Password grant.
	Argon2MemoryKiB uint32
	Argon2Passes    uint32
	Argon2Lanes     uint8
	PasswordWorkers int
	PasswordQueue   int
	LockoutFailures int
	LockoutWindow   time.Duration
	LockoutCooldown time.Duration
	// Refresh tokens.
	RefreshIdleTTL time.Duration
	RefreshGrace   time.Duration
	// Sign-in pages (OIDC).
	SessionTTL time.Duration
	// ConsoleIdleTimeout ends a console session unused for this long.
	ConsoleIdleTimeout time.Duration
	// Janitor.
	JanitorInterval time.Duration
	JanitorBatch    int
	JanitorPause    time.Duration
	// Audit log.
	AuditRetention      time.Duration
	AuditSecurityWindow time.Duration
	// Working hours.
	CalendarCacheTTL time.Duration
	// Client addresses and rate limits.
	TrustedProxies    []string
	RateLimits        ratelimit.Config
	RateLimitCacheTTL time.Duration
	// Traces (docs/operations.md "Traces"): off unless an endpoint is set here or in
	// the OTEL_* environment.
	OTLPEndpoint string
	// Modules are the vendors served, each with its own settings (modules.go).
	Modules []module.Module
}

func newServeCmd() *cobra.Command {
	var cfg serveConfig
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the authorization server (embedded SQLite by default, zero configuration)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applySettings(cmd.Flags(), configPath); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			logger, err := newLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
			if err != nil {
				return err
			}
			tuneGC()
			a, err := startApp(ctx, cfg, logger)
			if err != nil {
				return err
			}
			return a.run(ctx)
		},
	}
	bindServeFlags(cmd.Flags(), &cfg, &configPath)
	cmd.SetUsageTemplate(cmd.UsageTemplate() + "\n" + settingsHelp(cmd.Flags()))
	return cmd
}

// bindServeFlags declares every serve setting with its default.
func bindServeFlags(f *pflag.FlagSet, cfg *serveConfig, configPath *string) {
	f.StringVar(configPath, "config", os.Getenv("JETON_CONFIG"), "YAML config file (keys are flag names) [JETON_CONFIG]")
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "public listener (token endpoint, discovery, JWKS)")
	f.StringVar(&cfg.AdminAddr, "admin-addr", "127.0.0.1:8081", "admin API listener; keep it off the public network")
	f.StringVar(&cfg.TLS.Cert, "tls-cert", "", "PEM certificate chain of the public listener: it serves HTTPS (TLS 1.2+); reloaded when the file changes or on SIGHUP")
	f.StringVar(&cfg.TLS.Key, "tls-key", "", "PEM private key for --tls-cert")
	f.StringVar(&cfg.TLSClientCerts, "tls-client-certs", string(tlsserve.ClientCertsOff), "client certificates on the HTTPS public listener: off, or request (asked for, never required, handed to client authentication unverified)")
	f.StringVar(&cfg.AdminTLS.Cert, "admin-tls-cert", "", "PEM certificate chain of the admin listener: it serves HTTPS (its own pair; reloaded like --tls-cert)")
	f.StringVar(&cfg.AdminTLS.Key, "admin-tls-key", "", "PEM private key for --admin-tls-cert")
	f.DurationVar(&cfg.TLSReload, "tls-reload-interval", 5*time.Second, "how often certificate files are checked for changes (SIGHUP reloads at once)")
	f.StringVar(&cfg.DataDir, "data-dir", defaultDataDir, "directory for the SQLite database, the key-encryption key and the admin token")
	f.StringVar(&cfg.Database, "database", "", "database: empty for SQLite in the data dir, a file path for SQLite elsewhere, or postgres://... for PostgreSQL")
	f.StringVar(&cfg.Issuer, "issuer", "", "public base URL, the tokens' iss (default http://<addr>)")
	f.StringSliceVar(&cfg.Audience, "audience", nil, "aud of access tokens, comma-separated (default the issuer)")
	f.StringVar(&cfg.KEKFile, "kek-file", "", "key-encryption key file, created 0600 if missing (default <data-dir>/kek); JETON_KEK overrides it")
	f.StringSliceVar(&cfg.PreviousKEKFiles, "previous-kek-file", nil, "key-encryption key files accepted for reading only, comma-separated: the old KEK while jeton kek rotate re-seals (also JETON_PREVIOUS_KEK, base64 keys)")
	f.BoolVar(&cfg.Migrate, "migrate", false, "apply PostgreSQL migrations at start (SQLite is always migrated at start)")
	f.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&cfg.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.DurationVar(&cfg.PublishDelay, "key-publish-delay", 10*time.Minute, "how long a rotated key is published before it signs")
	f.DurationVar(&cfg.KeyRotationInterval, "key-rotation-interval", keys.DefaultRotationInterval, "replace each signing key this long after its creation, once across all replicas (0: only by hand)")
	f.DurationVar(&cfg.MaxTokenTTL, "max-token-ttl", 24*time.Hour, "longest access-token lifetime; a retired key stays published this long")
	f.DurationVar(&cfg.KeyReload, "key-reload-interval", 30*time.Second, "how often keys are re-read from the database (rotations by other replicas)")
	f.DurationVar(&cfg.ClientCacheTTL, "client-cache-ttl", time.Second, "how long a client is cached; bounds how stale another replica's view may be")
	f.IntVar(&cfg.ClientCacheMax, "client-cache-max", clientcache.DefaultMaxEntries, "most clients cached in memory at once (a full cache drops its expired entries, or else all)")
	f.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long SIGTERM waits for in-flight requests")
	f.StringSliceVar(&cfg.AssertionAudience, "assertion-audience", nil, "accepted aud of client assertions, comma-separated (default the issuer and the token endpoint URL)")
	f.DurationVar(&cfg.AssertionMaxLifetime, "assertion-max-lifetime", time.Hour, "longest client assertion lifetime (exp - iat)")
	f.DurationVar(&cfg.ClockSkew, "clock-skew", time.Minute, "tolerated clock difference for assertion and request object iat/nbf/exp (iat/nbf of a FAPI 2.0 client's: at most 59s ahead, docs/fapi2.md)")
	f.StringVar(&cfg.TLSClientCA, "tls-client-ca", "", "PEM file of the CAs a tls_client_auth client's certificate must chain to (RFC 8705 §2.1; default none: the method refuses every client)")
	f.StringVar(&cfg.ClientCertHeader, "client-cert-header", "", "header in which a TLS-terminating proxy forwards the client certificate as URL-encoded PEM (nginx $ssl_client_escaped_cert, Envoy x-forwarded-client-cert), believed only from --trusted-proxies (default none)")
	f.BoolVar(&cfg.DPoP, "dpop", true, "accept DPoP proofs (RFC 9449) and bind the tokens to their keys")
	f.BoolVar(&cfg.DPoPNonce, "dpop-nonce", false, "require the server's DPoP-Nonce in every DPoP proof (RFC 9449 §8; a client's first proof is answered use_dpop_nonce)")
	f.BoolVar(&cfg.RequireLowS, "require-low-s", false, "refuse ES256 client assertions whose signature is in high-S form (most signers make half their signatures high-S; replays are refused either way)")
	f.StringSliceVar(&cfg.JWKSAllowHosts, "jwks-allow-hosts", nil, "jwks_uri hosts that may be loopback, private or link-local addresses, comma-separated (test setups only; every other such jwks_uri is refused)")
	f.StringVar(&cfg.AuthorizationDetailsSchemas, "authorization-details-schemas", "", "directory of TYPE.json JSON Schemas (2020-12) for RFC 9396 authorization_details types: each replaces the shipped schema of TYPE (payment_initiation, account_information) or adds TYPE")
	f.Uint32Var(&cfg.Argon2MemoryKiB, "argon2-memory", 19456, "argon2id memory for new customer password hashes, KiB (OWASP minimum 19 MiB)")
	f.Uint32Var(&cfg.Argon2Passes, "argon2-passes", 2, "argon2id passes for new customer password hashes")
	f.Uint8Var(&cfg.Argon2Lanes, "argon2-lanes", 1, "argon2id lanes for new customer password hashes")
	f.IntVar(&cfg.PasswordWorkers, "password-workers", runtime.GOMAXPROCS(0), "concurrent password checks (each holds the argon2id memory)")
	f.IntVar(&cfg.PasswordQueue, "password-queue", 4*runtime.GOMAXPROCS(0), "password checks that may wait; beyond it requests get 503 + Retry-After")
	f.IntVar(&cfg.LockoutFailures, "lockout-failures", 5, "failed sign-ins within --lockout-window that lock a customer")
	f.DurationVar(&cfg.LockoutWindow, "lockout-window", 15*time.Minute, "window in which failed sign-ins are counted")
	f.DurationVar(&cfg.LockoutCooldown, "lockout-cooldown", 15*time.Minute, "how long a locked customer stays locked")
	f.DurationVar(&cfg.RefreshIdleTTL, "refresh-idle-ttl", 7*24*time.Hour, "a refresh token unused this long expires (the family's absolute lifetime is the client's refresh_token_ttl)")
	f.DurationVar(&cfg.RefreshGrace, "refresh-grace", 30*time.Second, "a retry with the previous refresh token within this grace gets the same successor")
	f.DurationVar(&cfg.ConsoleIdleTimeout, "console-idle-timeout", 15*time.Minute, "how long a web console session may stay unused before it ends")
	f.DurationVar(&cfg.SessionTTL, "session-ttl", time.Hour, "how long a customer's sign-in on the login page is remembered for later authorization requests")
	f.DurationVar(&cfg.JanitorInterval, "janitor-interval", 10*time.Minute, "how often expired rows are deleted")
	f.IntVar(&cfg.JanitorBatch, "janitor-batch", janitor.DefaultBatch, "rows deleted per table per statement by the janitor")
	bindJanitorPause(f, &cfg.JanitorPause)
	bindAuditRetention(f, &cfg.AuditRetention)
	f.DurationVar(&cfg.AuditSecurityWindow, "audit-security-window", auditlog.DefaultWindow, "security events (replays refused, rate limits tripped, ...) are written to the audit log as one row per kind, institution, client and reason per window, with a count")
	f.DurationVar(&cfg.CalendarCacheTTL, "calendar-cache-ttl", 30*time.Second, "how long a working-hours calendar is cached; changes through any replica apply at once on PostgreSQL (LISTEN/NOTIFY) and in this process")
	f.StringSliceVar(&cfg.TrustedProxies, "trusted-proxies", nil, "CIDRs of load balancers/proxies whose X-Forwarded-For, X-Forwarded-Proto and Forwarded headers are believed, comma-separated (default none: the TCP peer is the client)")
	bindRateLimitFlags(f, &cfg.RateLimits)
	f.StringVar(&cfg.OTLPEndpoint, "otlp-endpoint", "", "export traces to this OTLP/HTTP collector base URL, e.g. http://otel-collector:4318 (spans go to /v1/traces); off by default; the standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, ...) apply too")
	f.DurationVar(&cfg.RateLimitCacheTTL, "ratelimit-cache-ttl", 10*time.Second, "how long a per-institution or per-client rate-limit override is cached; another replica's change applies within it (this replica's at once)")
	cfg.Modules = vendorModules()
	for _, m := range cfg.Modules {
		m.Flags(f)
	}
}

func newMigrateCmd() *cobra.Command {
	var dataDir, database, configPath string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations (SQLite or PostgreSQL) and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applySettings(cmd.Flags(), configPath); err != nil {
				return err
			}
			ctx := cmd.Context()
			store, kind, err := openStore(ctx, dataDir, database)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := store.Migrate(ctx); err != nil {
				return err
			}
			cmd.Printf("migrated %s database\n", kind)
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", os.Getenv("JETON_CONFIG"), "YAML config file [JETON_CONFIG]")
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDataDir, "data directory (SQLite default location)")
	cmd.Flags().StringVar(&database, "database", "", "database: empty for SQLite in the data dir, a file path, or postgres://...")
	return cmd
}

// tuneGC raises the GC target unless the operator set GOGC. jeton's live heap is a few
// MiB, so the default (collect when the heap doubles) runs the collector every few
// hundred token requests; collecting at 4x the live heap costs a few MiB more under load
// and measurably less CPU (docs/benchmarks.md). Idle memory is unchanged.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
}

// Package clients is the one place where OAuth clients are created and changed: the
// domain rules (defaults, validation as a whole, secrets), and the audit event that
// commits with each change (docs/architecture.md "Clients service"). The admin API
// calls it, a vendor's management endpoints call its Check before their own atomic
// store call, and so will the console; none of them holds a client rule of its own.
package clients

import (
	"context"
	"maps"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/reqlog"
)

// Store is what the service reads and writes.
type Store interface {
	GetInstitution(ctx context.Context, id string) (jeton.Institution, error)
	GetClient(ctx context.Context, clientID string) (jeton.Client, error)
	CreateClientAudited(ctx context.Context, c jeton.Client, ev jeton.AuditEvent) error
	UpdateClientAudited(ctx context.Context, c jeton.Client, ev jeton.AuditEvent) error
}

// Config wires the service.
type Config struct {
	Store Store
	// KEK is the key-encryption key (keys.LoadKEK) under which client_secret_jwt
	// secrets are sealed; without it such clients cannot be registered.
	KEK []byte
	// PreviousKEKs are the key-encryption keys of a KEK rotation in progress: a secret
	// still sealed under one of them is re-sealed under KEK when a change carries it
	// over (RotateSecret's previous secret).
	PreviousKEKs [][]byte
	// JWKSAllowHosts are jwks_uri hosts that may name a non-public address.
	JWKSAllowHosts []string
	// Invalidate is called with a client id after every change to that client, so
	// that the token endpoint's client cache drops it. May be nil.
	Invalidate func(clientID string)
	Now        func() time.Time // default time.Now
	// Events, when set, is told of each client disabled (jeton.EventClientDisabled).
	Events jeton.SecurityObserver
	// DetailTypes reports whether an RFC 9396 authorization_details type has a
	// schema on this server (rar.Registry.Known); nil checks only the names.
	DetailTypes func(string) bool
}

// Service creates and changes clients.
type Service struct{ cfg Config }

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}
}

// now is the clock at microseconds: the finest precision both SQLite and PostgreSQL
// keep, so that what a change answers equals what a later read returns.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Changed is a client after a change and the secret issued by it ("" if none): the
// store keeps only its digest, so this is the one time anyone sees it.
type Changed struct {
	Client jeton.Client
	Secret string
}

// write is the store call that saves a client with its audit event.
type write func(ctx context.Context, c jeton.Client, ev jeton.AuditEvent) error

// save writes c with the audit event of action by actor in one transaction, then
// drops c from the caches. The event's details are extra, the change from before
// (nil for a new client) to c as their JSON shows it (no secret: a client's digests and
// sealed secrets are never in its JSON), and the request's client address.
func (s *Service) save(ctx context.Context, w write, actor, action string, before *jeton.Client, c jeton.Client, extra map[string]string) error {
	var prev any
	if before != nil {
		prev = *before
	}
	s.resealUnderCurrentKEK(&c)
	details := jeton.AuditChange(prev, c)
	maps.Copy(details, extra)
	ev := jeton.AuditEvent{ID: jeton.NewID(), At: s.now(), InstitutionID: c.InstitutionID,
		Actor: actor, Action: action, Subject: c.ID, Details: reqlog.AuditDetails(ctx, details)}
	if err := w(ctx, c, ev); err != nil {
		return err
	}
	if s.cfg.Invalidate != nil {
		s.cfg.Invalidate(c.ID)
	}
	return nil
}

// resealUnderCurrentKEK seals c's sealed secrets under the current KEK before c is
// written. c was read before this change, and `jeton kek rotate` may re-seal its row
// in between: writing back the bytes read would put a value under the previous KEK
// after the command has moved every row off it, and a restart with the new KEK alone
// could not open it. A value no KEK here opens is written as it was read.
func (s *Service) resealUnderCurrentKEK(c *jeton.Client) {
	if len(s.cfg.KEK) == 0 || len(c.SecretSealed)+len(c.PreviousSecretSealed) == 0 {
		return
	}
	ss, err := keys.NewSecretSealer(s.cfg.KEK, s.cfg.PreviousKEKs...)
	if err != nil {
		return
	}
	for _, sealed := range []*[]byte{&c.SecretSealed, &c.PreviousSecretSealed} {
		if len(*sealed) == 0 {
			continue
		}
		if secret, err := ss.Open(c.ID, *sealed); err == nil {
			*sealed = ss.Seal(c.ID, string(secret))
		}
	}
}

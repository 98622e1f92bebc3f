package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/every"
)

// Audit records of rotations: the action of every signing-key rotation (the admin
// API's too) and the actor of the scheduled ones.
const (
	AuditKeyRotate = "key.rotate"
	ScheduleActor  = "schedule"
)

// DefaultRotationInterval is how long a signing key is the current one before the
// schedule replaces it: 90 days.
const DefaultRotationInterval = 90 * 24 * time.Hour

// ScheduleCheck is how often serve asks whether a key is due. A check reads only the
// in-memory key snapshot; the store is called only when a key is due.
const ScheduleCheck = time.Minute

// ScheduleConfig configures the rotation schedule.
type ScheduleConfig struct {
	// Interval: an alg's current key is replaced once it was created this long ago.
	// Zero disables the schedule; otherwise it must exceed the publish delay, or a
	// successor would be replaced before it ever signed.
	Interval time.Duration
	// Events, if set, receives EventKeyRotated (Reason "schedule") for each rotation
	// this process made.
	Events jeton.SecurityObserver
	// Logger, if set, logs each rotation and each failed check.
	Logger *slog.Logger
}

// Scheduler rotates signing keys on a schedule, exactly once across replicas: every
// replica checks, and the store's ReplaceSigningKey lets only the first one that
// finds a key due replace it (the others get ErrConflict and reload).
type Scheduler struct {
	m   *Manager
	cfg ScheduleConfig
}

// NewScheduler checks cfg against m's publish delay.
func NewScheduler(m *Manager, cfg ScheduleConfig) (*Scheduler, error) {
	if cfg.Interval < 0 {
		return nil, fmt.Errorf("keys: key rotation interval %v is negative", cfg.Interval)
	}
	if cfg.Interval > 0 && cfg.Interval <= m.cfg.PublishDelay {
		return nil, fmt.Errorf("keys: key rotation interval %v must be longer than the publish delay %v", cfg.Interval, m.cfg.PublishDelay)
	}
	return &Scheduler{m: m, cfg: cfg}, nil
}

// Enabled reports whether keys rotate on a schedule.
func (s *Scheduler) Enabled() bool { return s.cfg.Interval > 0 }

// Run calls RotateDue every check interval until ctx ends.
func (s *Scheduler) Run(ctx context.Context, check time.Duration) {
	if !s.Enabled() {
		return
	}
	every.Run(ctx, check, func() {
		if _, err := s.RotateDue(ctx); err != nil && ctx.Err() == nil && s.cfg.Logger != nil {
			s.cfg.Logger.Error("scheduled key rotation failed", "err", err)
		}
	})
}

// RotateDue replaces the current key of every alg that was created Interval or more
// ago, and returns the successors this call stored (none when another replica's
// rotation got there first).
func (s *Scheduler) RotateDue(ctx context.Context) ([]jeton.SigningKey, error) {
	if !s.Enabled() {
		return nil, nil
	}
	var made []jeton.SigningKey
	var errs []error
	for _, alg := range s.m.snap.Load().algs() {
		next, pred, err := s.m.rotateDue(ctx, alg, s.cfg.Interval)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if next.ID == "" {
			continue
		}
		made = append(made, next)
		if s.cfg.Logger != nil {
			s.cfg.Logger.Info("signing key rotated on schedule", "alg", alg, "kid", next.ID,
				"predecessor", pred, "active_at", next.ActiveAt)
		}
		if s.cfg.Events != nil {
			s.cfg.Events.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventKeyRotated, At: next.CreatedAt, Reason: jeton.EventReasonSchedule})
		}
	}
	return made, errors.Join(errs...)
}

// NextRotation is when alg's current key falls due (false: no schedule, or no
// current key of alg).
func (s *Scheduler) NextRotation(alg string) (time.Time, bool) {
	return s.nextRotation(s.m.snap.Load(), alg)
}

func (s *Scheduler) nextRotation(snap *snapshot, alg string) (time.Time, bool) {
	if !s.Enabled() {
		return time.Time{}, false
	}
	cur, ok := snap.current(alg)
	if !ok {
		return time.Time{}, false
	}
	return cur.meta.CreatedAt.Add(s.cfg.Interval), true
}

// rotateDue replaces alg's current key when it was created interval or more ago, in
// one conditional store call with its audit event. It returns the successor and the
// predecessor's kid, or a zero key when nothing was due or another replica (or an
// admin) rotated alg first; either way the snapshot is reloaded after a store call.
func (m *Manager) rotateDue(ctx context.Context, alg string, interval time.Duration) (jeton.SigningKey, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kekErr != nil {
		return jeton.SigningKey{}, "", m.kekErr
	}
	now := m.now()
	cur, ok := m.snap.Load().current(alg)
	if !ok || now.Before(cur.meta.CreatedAt.Add(interval)) {
		return jeton.SigningKey{}, "", nil
	}
	next, err := generate(m.sealer, alg)
	if err != nil {
		return jeton.SigningKey{}, "", err
	}
	next.CreatedAt, next.ActiveAt = now, now.Add(m.cfg.PublishDelay)
	if _, err := m.snap.Load().signer(alg, m.cfg.Now()); err != nil {
		next.ActiveAt = now // nothing signs alg now: see Rotate
	}
	ev := jeton.AuditEvent{
		ID: jeton.NewID(), At: now, Actor: ScheduleActor, Action: AuditKeyRotate, Subject: next.ID,
		Details: map[string]string{"alg": alg, "predecessor": cur.meta.ID, "active_at": next.ActiveAt.Format(time.RFC3339)},
	}
	err = m.store.ReplaceSigningKey(ctx, cur.meta.ID, next, next.ActiveAt.Add(m.cfg.MaxTokenTTL), ev)
	if errors.Is(err, jeton.ErrConflict) {
		return jeton.SigningKey{}, "", m.reloadLocked(ctx)
	}
	if err != nil {
		return jeton.SigningKey{}, "", fmt.Errorf("keys: scheduled rotation of %s key %s: %w", alg, cur.meta.ID, err)
	}
	return next, cur.meta.ID, m.reloadLocked(ctx)
}

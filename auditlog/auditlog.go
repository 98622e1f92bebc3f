// Package auditlog records jeton's security events (jeton.SecurityEvent: replays
// refused, families revoked, rate limits tripped, ...) in the audit log, aggregated:
// one row per kind, institution, client and reason per window, with how many there
// were and the first and last time, so ten thousand refused requests are one row, not
// ten thousand (docs/operations.md, "Audit").
//
// The Aggregator is a jeton.SecurityObserver that never blocks the request path: an
// event is one short critical section that counts it into a bounded in-memory map;
// the rows are written by Flush, every window (Run) and once more at shutdown, off the
// request path.
package auditlog

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/every"
)

// Defaults.
const (
	DefaultWindow    = time.Minute
	DefaultMaxGroups = 1000
	// maxField bounds each string an event adds to the map (a presented client id
	// may be anything a stranger sent, up to the form field limit).
	maxField = 128
)

// Appender is where the rows go (jeton.Store implements it).
type Appender interface {
	AppendAudit(ctx context.Context, e jeton.AuditEvent) error
}

// Config wires an Aggregator. Zero fields take the defaults.
type Config struct {
	Store Appender
	// Window is how long events are counted into one row (default DefaultWindow).
	Window time.Duration
	// MaxGroups bounds the distinct (kind, institution, client, reason) rows of one
	// window (default DefaultMaxGroups). Beyond it, events are counted into one row
	// per kind and reason with no institution or client and details overflow=true,
	// so memory and rows stay bounded however many ids an attacker makes up.
	MaxGroups int
	Now       func() time.Time // default time.Now
	Logger    *slog.Logger     // default: none
}

// Aggregator counts security events and writes one audit row per group and window.
type Aggregator struct {
	cfg Config

	mu     sync.Mutex
	groups map[key]*group

	flushMu sync.Mutex // one Flush at a time, so a failed one is merged back before the next
}

// key is what one row aggregates.
type key struct {
	kind                        jeton.SecurityEventKind
	institution, client, reason string
	overflow                    bool
}

// group is one row in the making.
type group struct {
	count       int64
	first, last time.Time
	subject     string
	subjects    bool // more than one subject was seen: the row names none
}

// New returns an Aggregator; call Run to flush it on a schedule, Flush at shutdown.
func New(cfg Config) *Aggregator {
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxGroups <= 0 {
		cfg.MaxGroups = DefaultMaxGroups
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Aggregator{cfg: cfg, groups: map[key]*group{}}
}

// OwnRow reports whether e's fact already has an audit row of its own, written in the
// transaction of the change it reports; the aggregator leaves those out, so nothing is
// recorded twice:
//   - customer.locked: the password sign-in appends customer.locked (actor the client)
//     with the failure that set the lock.
//   - client.disabled: the clients service writes client.update (status disabled) in
//     the disabling transaction.
//   - family.revoked for "reuse": the refresh grant appends refresh.reuse.
//   - key.rotated, by "admin" or by the "schedule": the rotation's own transaction
//     holds key.rotate (actor admin or schedule).
//
// Everything else (replays refused, families revoked for a code replay, rate limits
// tripped, kinds added later) is recorded here.
func OwnRow(e jeton.SecurityEvent) bool {
	switch e.Kind {
	case jeton.EventLockout, jeton.EventClientDisabled:
		return true
	case jeton.EventFamilyRevoked:
		return e.Reason == "reuse"
	case jeton.EventKeyRotated:
		return true
	}
	return false
}

// SecurityEvent counts e (jeton.SecurityObserver). It never waits for the store.
func (a *Aggregator) SecurityEvent(_ context.Context, e jeton.SecurityEvent) {
	if OwnRow(e) {
		return
	}
	at := e.At
	if at.IsZero() {
		at = a.cfg.Now()
	}
	k := key{kind: e.Kind, institution: clip(e.InstitutionID), client: clip(e.ClientID), reason: clip(e.Reason)}
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.groups[k]
	if g == nil {
		if len(a.groups) >= a.cfg.MaxGroups {
			k = key{kind: k.kind, reason: k.reason, overflow: true}
			g = a.groups[k]
		}
		if g == nil {
			g = &group{first: at, subject: clip(e.Subject)}
			a.groups[k] = g
		}
	}
	g.add(1, at, at, clip(e.Subject))
}

// add counts n events seen from first to last about subject into g.
func (g *group) add(n int64, first, last time.Time, subject string) {
	if g.count > 0 && subject != g.subject {
		g.subjects = true
	}
	g.count += n
	if first.Before(g.first) {
		g.first = first
	}
	if last.After(g.last) {
		g.last = last
	}
}

func clip(s string) string {
	if len(s) > maxField {
		return s[:maxField]
	}
	return s
}

// Run flushes every window until ctx ends. It does not flush at the end: the caller
// calls Flush once the requests that could still report events have drained.
func (a *Aggregator) Run(ctx context.Context) {
	every.Run(ctx, a.cfg.Window, func() {
		_ = a.Flush(ctx) // logged; the rows wait for the next flush
	})
}

// Flush writes one row per group counted since the last flush. Rows it could not
// write are counted back in, to be written by the next flush (their count, first and
// last are kept), so a store outage loses no event; it returns their errors.
func (a *Aggregator) Flush(ctx context.Context) error {
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	a.mu.Lock()
	groups := a.groups
	a.groups = map[key]*group{}
	a.mu.Unlock()
	var errs []error
	for k, g := range groups {
		if err := a.cfg.Store.AppendAudit(ctx, a.row(k, g)); err != nil {
			errs = append(errs, err)
			a.putBack(k, g)
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		a.cfg.Logger.Error("audit: security events not written yet; retrying at the next flush",
			"rows", len(errs), "err", errs[0])
	}
	return err
}

// putBack merges g into the current window's map (into its overflow row when full).
func (a *Aggregator) putBack(k key, g *group) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.groups[k]
	if cur == nil && len(a.groups) >= a.cfg.MaxGroups && !k.overflow {
		k = key{kind: k.kind, reason: k.reason, overflow: true}
		cur = a.groups[k]
	}
	if cur == nil {
		a.groups[k] = g
		return
	}
	cur.add(g.count, g.first, g.last, g.subject)
	cur.subjects = cur.subjects || g.subjects
}

// row is the audit event of one group: at its last occurrence, by jeton, the kind as
// its action.
func (a *Aggregator) row(k key, g *group) jeton.AuditEvent {
	d := map[string]string{
		"count":  strconv.FormatInt(g.count, 10),
		"first":  g.first.UTC().Format(time.RFC3339Nano),
		"last":   g.last.UTC().Format(time.RFC3339Nano),
		"reason": k.reason,
		"window": a.cfg.Window.String(),
	}
	if k.client != "" {
		d["client_id"] = k.client
	}
	if k.overflow {
		d["overflow"] = "true" // more groups than MaxGroups: institutions and clients not told apart
	}
	subject := g.subject
	if g.subjects {
		subject, d["subjects"] = "", "several"
	}
	return jeton.AuditEvent{ID: jeton.NewID(), At: g.last.UTC().Truncate(time.Microsecond),
		InstitutionID: k.institution, Actor: jeton.ActorSystem, Action: string(k.kind),
		Subject: subject, Details: d}
}

var _ jeton.SecurityObserver = (*Aggregator)(nil)

package token

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"runtime"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/password"
)

// HashPoolConfig sizes a HashPool. Zero fields take the defaults.
type HashPoolConfig struct {
	// Workers is how many argon2id verifications may run at once (default
	// runtime.GOMAXPROCS(0): one per core, since each is CPU-bound).
	Workers int
	// Queue is how many requests may wait for a worker (default 4 × Workers; negative:
	// none may wait). A request that finds the queue full is refused at once.
	Queue int
	// Params are the argon2id parameters new hashes (and the dummy hash) are made with
	// (default password.DefaultParams). A verification always uses the parameters in
	// the stored hash, so raising them does not invalidate stored passwords.
	Params password.Params
	// RetryAfter is what an overloaded answer suggests the client wait (default 1 s).
	RetryAfter time.Duration
	// Observer, when set, is told how long each verification waited for a worker and
	// of each request refused for overload (metrics; Busy and Waiting give the depth).
	Observer HashPoolObserver
	// Tracer makes a span of each verification (nil: tracing off).
	Tracer *tracing.Tracer
}

// HashPoolObserver receives a HashPool's measurements. Its methods must not block.
type HashPoolObserver interface {
	// Waited: a request got a worker after waiting d in the queue.
	Waited(d time.Duration)
	// Refused: a request was refused, the queue being full or its context ending
	// while it waited.
	Refused()
}

// SpanPasswordVerify is the span of one argon2id verification, from the wait for a
// worker to the answer. The real check, the dummy (unknown username) and the decoy
// (locked customer) make the same span, so a trace tells no more than the answer's
// timing does.
const SpanPasswordVerify = "password.verify"

// keyWait is how long a verification waited for a worker, in microseconds.
const keyWait = attribute.Key("jeton.password.wait_us")

// HashPool bounds the argon2id verifications of customer passwords, so that a flood of
// password requests cannot exhaust memory or starve every other request of CPU.
//
// At most Workers verifications run at once, and at most Queue more wait for one; a
// request beyond that gets temporarily_unavailable (503, Retry-After) without hashing.
// The memory that argon2id holds at once is therefore bounded by Workers × m (m = the
// memory parameter of the hashes being verified: Params.MemoryKiB for every hash made
// with the current settings; password.Verify refuses stored hashes above 1 GiB). With
// the defaults on 2 cores that is 2 × 19 MiB = 38 MiB. Waiting requests hold no argon2
// memory.
//
// It is safe for concurrent use.
type HashPool struct {
	// admit holds one token per request inside the pool (running or waiting): its
	// capacity is Workers + Queue, so a failed non-blocking send means "queue full".
	admit chan struct{}
	// work holds one token per running verification: capacity Workers.
	work       chan struct{}
	params     password.Params
	dummy      string
	retryAfter time.Duration
	observer   HashPoolObserver
	tracer     *tracing.Tracer

	// Test hooks (hashpool_export_test.go): queued runs once a request is admitted,
	// before it waits for a worker; verifying runs on a worker just before argon2id.
	queued    func()
	verifying func()
}

// NewHashPool builds a pool and its dummy hash (one argon2id hash with cfg.Params, made
// here once, which unknown usernames are verified against).
func NewHashPool(cfg HashPoolConfig) (*HashPool, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case cfg.Queue == 0:
		cfg.Queue = 4 * cfg.Workers
	case cfg.Queue < 0:
		cfg.Queue = 0
	}
	if cfg.Params == (password.Params{}) {
		cfg.Params = password.DefaultParams
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = time.Second
	}
	// The dummy's password is random and thrown away: nothing can match it, and no
	// one can learn it. It only has to cost what a real verification costs.
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	dummy, err := password.Hash(base64.RawStdEncoding.EncodeToString(secret), cfg.Params)
	if err != nil {
		return nil, fmt.Errorf("hash pool: %w", err)
	}
	return &HashPool{
		admit:      make(chan struct{}, cfg.Workers+cfg.Queue),
		work:       make(chan struct{}, cfg.Workers),
		params:     cfg.Params,
		dummy:      dummy,
		retryAfter: cfg.RetryAfter,
		observer:   cfg.Observer,
		tracer:     cfg.Tracer,
	}, nil
}

// Busy is how many verifications run now.
func (p *HashPool) Busy() int { return len(p.work) }

// Waiting is how many requests wait for a worker now (an instant's reading: admitted
// minus running, taken without a lock).
func (p *HashPool) Waiting() int { return max(len(p.admit)-len(p.work), 0) }

// Params returns the argon2id parameters the pool was configured with, for hashing
// new passwords.
func (p *HashPool) Params() password.Params { return p.params }

// Verify reports whether pw matches the stored PHC string phc, waiting for a worker.
// Errors are *jeton.Error: temporarily_unavailable when the queue is full or ctx ends
// while waiting, server_error for a stored hash that cannot be read (a corrupt row).
func (p *HashPool) Verify(ctx context.Context, pw, phc string) (ok bool, err error) {
	ctx, span := p.tracer.Start(ctx, SpanPasswordVerify)
	defer func() { span.End(err) }()
	var start time.Time
	if span.On() {
		start = time.Now()
	}
	if err := p.acquire(ctx); err != nil {
		return false, err
	}
	defer p.release()
	if span.On() {
		span.SetAttributes(keyWait.Int64(time.Since(start).Microseconds()))
	}
	if p.verifying != nil {
		p.verifying()
	}
	ok, verr := password.Verify(pw, phc)
	if verr != nil {
		return false, jeton.ServerError(fmt.Errorf("verify stored password hash: %w", verr))
	}
	return ok, nil
}

// VerifyDummy does the work of one verification against the dummy hash and throws the
// answer away. Callers spend it where no stored hash exists (an unknown username), so
// that the answer takes as long as for a known one and time does not reveal whether
// the username exists. It fails only as Verify fails for overload.
func (p *HashPool) VerifyDummy(ctx context.Context, pw string) error {
	_, err := p.Verify(ctx, pw, p.dummy)
	return err
}

// Spend does the work of one verification of pw against a hash with the parameters
// of phc (password.Decoy), without verifying pw against phc, and throws the answer
// away. Callers spend it where a customer's password must not be checked (the lockout
// refused the attempt), so that the answer takes as long as a checked one — also for
// a customer whose hash was made with older parameters — and time does not reveal the
// refusal. It fails as Verify fails.
func (p *HashPool) Spend(ctx context.Context, pw, phc string) error {
	decoy, err := password.Decoy(phc)
	if err != nil {
		return jeton.ServerError(fmt.Errorf("verify stored password hash: %w", err))
	}
	_, err = p.Verify(ctx, pw, decoy)
	return err
}

// acquire admits the request (or refuses it at once if the queue is full), then waits
// for a worker. If ctx ends while waiting, the request leaves the queue.
func (p *HashPool) acquire(ctx context.Context) error {
	select {
	case p.admit <- struct{}{}:
	default:
		return p.overloaded(nil)
	}
	if p.queued != nil {
		p.queued()
	}
	var since time.Time
	if p.observer != nil {
		since = time.Now()
	}
	select {
	case p.work <- struct{}{}:
		if p.observer != nil {
			p.observer.Waited(time.Since(since))
		}
		return nil
	case <-ctx.Done():
		<-p.admit
		return p.overloaded(ctx.Err())
	}
}

func (p *HashPool) release() {
	<-p.work
	<-p.admit
}

// overloaded is temporarily_unavailable with HTTP 503 and Retry-After (RFC 9110
// §15.6.4, §10.2.3). RFC 6749 defines the code for the authorization endpoint
// (§4.1.2.1); §5.2 has none for an overloaded token endpoint, so jeton uses the same.
func (p *HashPool) overloaded(cause error) *jeton.Error {
	if p.observer != nil {
		p.observer.Refused()
	}
	return &jeton.Error{
		Code: jeton.CodeTemporarilyUnavailable, Reason: jeton.ReasonOverloaded,
		Description: "the server is busy; retry later", Status: 503,
		RetryAfter: p.retryAfter, Cause: cause,
	}
}

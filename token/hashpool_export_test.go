package token

// SetHashPoolHooks installs the pool's test hooks: queued runs when a request has been
// admitted (before it waits for a worker), verifying on a worker just before argon2id.
// Install them before the pool is used.
func SetHashPoolHooks(p *HashPool, queued, verifying func()) {
	p.queued, p.verifying = queued, verifying
}

// DummyHash returns the pool's dummy hash.
func DummyHash(p *HashPool) string { return p.dummy }

// HashPoolSize returns how many verifications may run and how many may wait.
func HashPoolSize(p *HashPool) (workers, queue int) {
	return cap(p.work), cap(p.admit) - cap(p.work)
}

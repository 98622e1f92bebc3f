package tlsserve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jeton/jeton/internal/every"
)

// Set is the certificates of a process's listeners, reloaded together: every
// interval by Watch, at once by Reload (SIGHUP).
type Set struct {
	Logger *slog.Logger

	mu    sync.Mutex
	certs []*Certificate
}

// Listen binds addr for the listener named name, with TLS when files are set, and
// keeps its certificate in the set. tls reports whether the listener speaks TLS.
func (s *Set) Listen(name, addr string, files Files, clientCerts ClientCerts) (ln net.Listener, tls bool, err error) {
	ln, cert, err := Listen(addr, files, clientCerts, s.Logger, name)
	if err != nil || cert == nil {
		return ln, false, err
	}
	s.Add(cert)
	return ln, true, nil
}

// Add puts a certificate loaded elsewhere into the set.
func (s *Set) Add(c *Certificate) {
	s.mu.Lock()
	s.certs = append(s.certs, c)
	s.mu.Unlock()
}

func (s *Set) all() []*Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Certificate(nil), s.certs...)
}

// Reload re-reads every certificate's files; a certificate that fails keeps the one
// in use.
func (s *Set) Reload() error {
	var err error
	for _, c := range s.all() {
		err = errors.Join(err, c.Reload())
	}
	return err
}

// Watch starts polling every certificate's files every interval until ctx ends: a
// certificate whose files' size or modification time changed, and whose contents
// differ from what is loaded, is reloaded. Failures are logged once each; the
// certificate in use stays until a good pair is found.
func (s *Set) Watch(ctx context.Context, interval time.Duration) {
	certs := s.all()
	go every.Run(ctx, interval, func() {
		for _, c := range certs {
			_ = c.reload(false)
		}
	})
}

// Empty reports whether no listener speaks TLS.
func (s *Set) Empty() bool { return len(s.all()) == 0 }

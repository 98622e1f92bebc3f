package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/internal/tracing"
	"github.com/jeton/jeton/reqlog"
)

// Middleware gives every request an id (a sane incoming X-Request-Id is kept, so a
// caller can trace across systems), recovers panics as 500, records metrics, a server
// span when t is not nil (tracing on), and writes one access-log line. Only
// reqlog.Info fields are logged: never a header, body, secret or token.
func Middleware(logger *slog.Logger, m *Metrics, t *Tracing, next http.Handler) http.Handler {
	return middleware(logger, m, nil, t, next)
}

// middleware is Middleware with the route labels of the handler's mux.
func middleware(logger *slog.Logger, m *Metrics, rs routes, t *Tracing, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &reqlog.Info{ID: requestID(r.Header.Get("X-Request-Id"))}
		w.Header().Set("X-Request-Id", info.ID)
		sw := &statusWriter{ResponseWriter: w, declared: r.ContentLength, info: info}
		if r.ContentLength != 0 {
			sw.body = &readTracker{ReadCloser: r.Body}
			r.Body = sw.body
		}
		ctx := reqlog.With(r.Context(), info)
		var span tracing.Span
		if t != nil {
			ctx, span = t.start(ctx, r, info)
		}
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					span.End(nil)
					panic(p)
				}
				info.Err = jeton.ServerError(errors.New("panic in handler"))
				logger.Error("panic", "request_id", info.ID, "panic", p)
				if sw.status == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			elapsed := time.Since(start)
			status := sw.status
			if (status == 0 || status >= 500) && reqlog.ClientGone(r, info.Err) {
				status, info.Err = reqlog.StatusClientClosed, clientClosed(info.Err)
			}
			m.observe(rs.label(r.Pattern), status, info, elapsed)
			if t != nil {
				t.end(span, r, status, info)
			}
			logRequest(logger, r, status, info, elapsed)
		}()
		next.ServeHTTP(sw, r)
		sw.linger()
	})
}

func logRequest(logger *slog.Logger, r *http.Request, status int, info *reqlog.Info, elapsed time.Duration) {
	level := slog.LevelInfo
	if info.Err != nil && jeton.AsError(info.Err).Code == jeton.CodeServerError {
		level = slog.LevelError
	}
	if !logger.Enabled(r.Context(), level) {
		return // build nothing on the hot path when the line would be dropped
	}
	attrs := []slog.Attr{
		slog.String("request_id", info.ID),
		slog.String("method", r.Method),
		slog.String("path", clip(r.URL.Path, 256)),
		slog.Int("status", status),
		slog.Float64("ms", float64(elapsed.Microseconds())/1000),
	}
	if info.ClientAddr.IsValid() {
		attrs = append(attrs, slog.String("client_addr", info.ClientAddr.String()))
	}
	if info.TraceID != "" {
		attrs = append(attrs, slog.String("trace_id", info.TraceID))
	}
	if info.Dialect != "" {
		attrs = append(attrs, slog.String("dialect", info.Dialect), slog.String("grant", clip(info.Grant, 64)), slog.String("client_id", clip(info.ClientID, 64)))
	}
	if info.Err != nil {
		e := jeton.AsError(info.Err)
		attrs = append(attrs, slog.String("error", string(e.Code)), slog.String("reason", string(e.Reason)))
		if e.Cause != nil {
			attrs = append(attrs, slog.String("cause", e.Cause.Error()))
		}
		if info.ErrorID != "" {
			attrs = append(attrs, slog.String("error_id", info.ErrorID))
		}
	}
	logger.LogAttrs(r.Context(), level, "request", attrs...)
}

// CodeClientClosed is the outcome logged and counted for a request whose client hung up
// before it was answered (status reqlog.StatusClientClosed).
const CodeClientClosed jeton.Code = "client_closed_request"

// clientClosed replaces the server_error a cancelled store call became, keeping its
// cause for the log: the client left, the server did not fail.
func clientClosed(err error) error {
	return &jeton.Error{Code: CodeClientClosed, Status: reqlog.StatusClientClosed, Cause: jeton.AsError(err).Cause}
}

// requestID keeps a caller's id when it is short and plain, else makes one.
func requestID(in string) string {
	if in == "" || len(in) > 64 {
		return jeton.NewID()
	}
	for i := 0; i < len(in); i++ {
		c := in[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return jeton.NewID()
		}
	}
	return in
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

type statusWriter struct {
	http.ResponseWriter
	status   int
	declared int64 // the request's Content-Length (-1: unknown)
	info     *reqlog.Info
	body     *readTracker // nil when the request has no body
	closing  bool         // closeUnread ran: this answer ends the connection
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if code == http.StatusRequestEntityTooLarge || w.info.BodyRefused || w.declared > MaxBodyBytes || w.refusedUnread(code) {
			w.closeUnread()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// refusedUnread reports an error answer to a request whose body was not read to its
// end: a refusal for another reason (no session, wrong Content-Type, a missing header)
// came first, maybe for a body over its route's bound that the client never sends.
// Such an answer closes the connection rather than wait for the body (RFC 9112 §9.6).
func (w *statusWriter) refusedUnread(code int) bool {
	return code >= http.StatusBadRequest && w.body != nil && !w.body.done(w.declared)
}

// readTracker counts what a handler read of a request body.
type readTracker struct {
	io.ReadCloser
	n   int64
	eof bool
}

func (b *readTracker) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// done reports whether the body of declared length (-1: unknown) was read to its end.
func (b *readTracker) done(declared int64) bool {
	return b.eof || (declared > 0 && b.n >= declared)
}

// closeUnread makes the answer the connection's last (RFC 9112 §9.6) and stops reading
// it. Otherwise net/http, before it sends the answer, would drain an unread body of
// up to 256 KiB to keep the connection: a client that declared a large body and sends
// it slowly (or never) would get its refusal only at the read timeout.
func (w *statusWriter) closeUnread() {
	w.Header().Set("Connection", "close")
	w.closing = true
	_ = http.NewResponseController(w.ResponseWriter).SetReadDeadline(time.Now())
}

// Lingering close (RFC 9112 §9.6): after an answer that closes the connection with the
// request body unread, the body is read and dropped for a short while before the
// connection closes. Closing a socket with unread data makes the kernel send a reset,
// and a reset may destroy the answer in the client's receive buffer before it is read:
// a client that sent a 70 KiB body would see "connection reset" instead of its 413.
// The answer is already on its way; what a slow or endless sender holds is this
// goroutine, for lingerTime at most.
const (
	lingerTime  = 250 * time.Millisecond
	lingerBytes = 1 << 20
)

// linger flushes the answer and drains what is left of an unread body within
// lingerTime and lingerBytes (see above). It does nothing unless closeUnread ran.
func (w *statusWriter) linger() {
	if !w.closing || w.body == nil || w.body.done(w.declared) {
		return
	}
	rc := http.NewResponseController(w.ResponseWriter)
	_ = rc.Flush()
	_ = rc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, w.body.ReadCloser, lingerBytes)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
)

// Sessions are server-side rows (jeton.ConsoleSession): the cookie holds 256 random
// bits, the store their SHA-256 digest, so sign-out and the idle timeout end a session
// everywhere at once and a stolen database holds no usable cookie. Every form carries
// the session's CSRF token; the sign-in form, which has no session yet, carries a
// token bound to a short-lived pre-session cookie (double submit).
const (
	sessionCookie = "jeton_console"
	preCookie     = "jeton_console_pre"
	csrfField     = "csrf"
)

// viewer is the signed-in console user of a request.
type viewer struct {
	User    jeton.ConsoleUser
	Session jeton.ConsoleSession
}

// Operator reports whether the viewer runs every institution.
func (v *viewer) Operator() bool { return v.User.Role == jeton.ConsoleOperator }

// Actor is the audit actor of the viewer's changes.
func (v *viewer) Actor() string { return "console:" + v.User.Username }

// CanSee reports whether the viewer may see and change institutionID's data.
func (v *viewer) CanSee(institutionID string) bool {
	return v.Operator() || (institutionID != "" && institutionID == v.User.InstitutionID)
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func digestOf(token string) []byte { d := sha256.Sum256([]byte(token)); return d[:] }

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/console/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode})
}

// authed runs h for a signed-in viewer whose session is live (one atomic touch moves
// its idle clock); every POST must also carry the session's CSRF token. Anyone else
// goes to the sign-in page.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := s.session(r)
		if err != nil {
			if !errors.Is(err, jeton.ErrNotFound) {
				s.serverError(w, r, err)
				return
			}
			s.setCookie(w, sessionCookie, "", -1)
			if r.Method != http.MethodGet {
				s.forbidden(w, r)
				return
			}
			http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && tooLarge(r) {
			s.render(w, r, http.StatusRequestEntityTooLarge, "error", v, errorData{T("error.toolarge")})
			return
		}
		if r.Method != http.MethodGet && !s.csrfOK(r, v.Session.CSRF) {
			s.forbidden(w, r)
			return
		}
		h(w, r, v)
	}
}

// session finds the request's live session and its user; a missing, unknown, idle or
// too old session is ErrNotFound.
func (s *Server) session(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) != 43 {
		return nil, jeton.ErrNotFound
	}
	now := s.now()
	sess, err := s.cfg.Store.TouchConsoleSession(r.Context(), digestOf(c.Value), now, now.Add(-s.cfg.IdleTimeout))
	if err != nil {
		return nil, err
	}
	if now.Sub(sess.CreatedAt) > s.cfg.MaxAge {
		return nil, jeton.ErrNotFound
	}
	u, err := s.cfg.Store.GetConsoleUser(r.Context(), sess.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled() { // a session that raced the disable: disabling deleted the others
		return nil, jeton.ErrNotFound
	}
	return &viewer{User: u, Session: sess}, nil
}

// tooLarge parses the form and reports whether the body was over maxBody.
func tooLarge(r *http.Request) bool {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		err = r.ParseMultipartForm(maxBody)
	} else {
		err = r.ParseForm()
	}
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// csrfOK compares the form's token with want in constant time, and refuses a request
// whose Origin names another site (a second fence behind SameSite=Strict).
func (s *Server) csrfOK(r *http.Request, want string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	got := r.PostFormValue(csrfField)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u jeton.ConsoleUser) error {
	tok := randomToken()
	now := s.now()
	sess := jeton.ConsoleSession{Digest: digestOf(tok), UserID: u.ID, CSRF: randomToken(), CreatedAt: now, LastSeen: now}
	if err := s.cfg.Store.CreateConsoleSession(r.Context(), sess); err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, tok, 0)
	s.setCookie(w, preCookie, "", -1)
	return nil
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, v *viewer) {
	if err := s.cfg.Store.DeleteConsoleSession(r.Context(), v.Session.Digest); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.audit(r, v, v.User.InstitutionID, jeton.ActionConsoleSignOut, v.User.ID, nil)
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// event is the audit event of a console change by v; the change's Audited store
// method writes it in the change's own transaction.
func (s *Server) event(r *http.Request, v *viewer, institutionID, action, subject string, details map[string]string) jeton.AuditEvent {
	return jeton.AuditEvent{ID: jeton.NewID(), At: s.now(), InstitutionID: institutionID,
		Actor: v.Actor(), Action: action, Subject: subject, Details: reqlog.AuditDetails(r.Context(), details)}
}

// audit records a console event that has no Audited store method: sign-in and
// sign-out, which change no row but the session's own.
func (s *Server) audit(r *http.Request, v *viewer, institutionID, action, subject string, details map[string]string) {
	ev := s.event(r, v, institutionID, action, subject, details)
	if err := s.cfg.Store.AppendAudit(r.Context(), ev); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "console: audit", "action", action, "err", err)
	}
}

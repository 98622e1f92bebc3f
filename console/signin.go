package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/password"
)

// dummyHash is verified against when the username is unknown, so that an unknown
// user costs the same argon2id work as a known one and timing tells nothing.
var dummyHash, _ = password.Hash("not-a-password-of-anyone", password.DefaultParams)

type signInData struct {
	CSRF, Next, Username, Error string
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	s.setCookie(w, preCookie, tok, 600)
	s.render(w, r, http.StatusOK, "signin", nil, signInData{CSRF: tok, Next: safeNext(r.URL.Query().Get("next"))})
}

// safeNext keeps a post-sign-in redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/console/apps"
	}
	return next
}

// signIn checks the password (argon2id) and the second factor (a TOTP code or a
// recovery code) under the sign-in budget: the attempt is counted before anything is
// verified and cleared only when both pass. Every refusal is the same message.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(preCookie)
	if err != nil || !s.csrfOK(r, c.Value) {
		s.forbidden(w, r)
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	data := signInData{CSRF: c.Value, Next: safeNext(r.PostFormValue("next")), Username: username}
	u, err := s.verify(r, username, r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		var refused refusal
		if !errors.As(err, &refused) {
			s.serverError(w, r, err)
			return
		}
		s.cfg.Logger.InfoContext(r.Context(), "console: sign-in refused", "username", username, "reason", string(refused))
		data.Error = T("signin.failed")
		s.render(w, r, http.StatusUnauthorized, "signin", nil, data)
		return
	}
	if err := s.startSession(w, r, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.audit(r, &viewer{User: u}, u.InstitutionID, jeton.ActionConsoleSignIn, u.ID, nil)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

// refusal is a sign-in refused for a reason only the log sees.
type refusal string

func (e refusal) Error() string { return string(e) }

func (s *Server) verify(r *http.Request, username, pw, code string) (jeton.ConsoleUser, error) {
	ctx := r.Context()
	if username == "" || len(username) > 64 || pw == "" || len(pw) > password.MaxLen || code == "" || len(code) > 32 {
		return jeton.ConsoleUser{}, refusal("incomplete form")
	}
	if s.cfg.Limit != nil {
		if err := s.cfg.Limit(ctx, "console", username); err != nil {
			return jeton.ConsoleUser{}, refusal("rate limited")
		}
	}
	now := s.now()
	u, admitted, err := s.cfg.Store.ReserveConsoleSignIn(ctx, username, now, s.cfg.Lockout)
	if errors.Is(err, jeton.ErrNotFound) {
		_, _ = password.Verify(pw, dummyHash)
		return u, refusal("unknown user")
	}
	if err != nil {
		return u, err
	}
	if !admitted {
		return u, refusal("locked")
	}
	if u.Disabled() { // the same work and answer as a wrong password
		_, _ = password.Verify(pw, dummyHash)
		return u, refusal("disabled")
	}
	if ok, err := password.Verify(pw, u.PasswordHash); err != nil || !ok {
		return u, refusal("wrong password")
	}
	if err := s.secondFactor(r, u, code); err != nil {
		return u, err
	}
	return u, s.cfg.Store.PassConsoleSignIn(ctx, u.ID, s.now())
}

// secondFactor accepts a TOTP code once (RFC 6238 §5.2) or spends a recovery code.
func (s *Server) secondFactor(r *http.Request, u jeton.ConsoleUser, code string) error {
	ctx := r.Context()
	if len(code) == 6 && strings.Trim(code, "0123456789") == "" {
		secret, err := s.cfg.TOTP.Open(u.ID, u.TOTPSealed)
		if err != nil {
			return err
		}
		step, ok := matchTOTP(secret, code, s.now())
		if !ok {
			return refusal("wrong TOTP code")
		}
		if err := s.cfg.Store.UseConsoleTOTPStep(ctx, u.ID, step); err != nil {
			if errors.Is(err, jeton.ErrAlreadyUsed) {
				return refusal("TOTP code replayed")
			}
			return err
		}
		return nil
	}
	err := s.cfg.Store.UseConsoleRecoveryCode(ctx, u.ID, recoveryDigest(code), s.now())
	if errors.Is(err, jeton.ErrAlreadyUsed) {
		return refusal("unknown or spent recovery code")
	}
	if err == nil {
		s.audit(r, &viewer{User: u}, u.InstitutionID, jeton.ActionConsoleRecoveryCodeUsed, u.ID, nil)
	}
	return err
}

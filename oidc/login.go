package oidc

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/password"
	"github.com/jeton/jeton/reqlog"
)

// maxUsername bounds the username field; no stored username is longer.
const maxUsername = 256

// formRequest checks what every page form needs: POST, a live session cookie with a
// pending request, and the session's CSRF token echoed in the form. It answers the
// error page itself and returns nil when something is missing.
func (h *Handler) formRequest(w http.ResponseWriter, r *http.Request, now time.Time) (*session, *jeton.Client) {
	reqlog.From(r.Context()).Dialect = "oidc"
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "This address only accepts form submissions.")
		return nil, nil
	}
	sess, ok := h.cookies.read(r, now)
	if !ok || sess.Pending == nil {
		h.errorPage(w, r, http.StatusBadRequest, "Your sign-in session has expired or is not valid. Go back to the application and start again.")
		return nil, nil
	}
	if reqlog.DeclaresOver(r, 16<<10) {
		h.errorPage(w, r, http.StatusRequestEntityTooLarge, "This form is too large.")
		return nil, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !sess.csrfOK(r.PostForm.Get("csrf")) {
		reqlog.From(r.Context()).Err = jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonNone, "CSRF token missing or wrong")
		h.errorPage(w, r, http.StatusForbidden, "This form has expired. Go back to the application and start again.")
		return nil, nil
	}
	c, err := h.cfg.Clients.Client(r.Context(), sess.Pending.ClientID)
	if err != nil || c.Status != jeton.ClientActive {
		h.errorPage(w, r, http.StatusBadRequest, "The application is no longer available.")
		return nil, nil
	}
	reqlog.From(r.Context()).ClientID = c.ID
	return sess, &c
}

// login checks the customer's username and password (POST from the login page) with
// the password grant's rules: argon2id pool, lockout, one verification per attempt
// whatever the outcome, one message for every refusal.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	sess, c := h.formRequest(w, r, now)
	if sess == nil {
		return
	}
	username, pw := r.PostForm.Get("username"), r.PostForm.Get("password")
	if username == "" || pw == "" {
		h.showLogin(w, r, c, sess, "Enter your username and password.", now)
		return
	}
	var cu jeton.Customer
	var err error = jeton.Errorf(jeton.CodeInvalidGrant, jeton.ReasonBadCredentials, "username or password over the length limit")
	if len(username) <= maxUsername && len(pw) <= password.MaxLen {
		cu, err = h.cfg.SignIn(r.Context(), c.ID, c.InstitutionID, username, pw, now)
	}
	if err != nil {
		pe := jeton.AsError(err)
		reqlog.From(r.Context()).Err = pe
		switch pe.Code {
		case jeton.CodeServerError:
			h.serverError(w, r, pe)
		case jeton.CodeTemporarilyUnavailable:
			h.errorPage(w, r, http.StatusServiceUnavailable, "Sign-in is busy right now. Please try again in a moment.")
		case jeton.CodeRateLimited:
			// RFC 6585 §4: 429 with Retry-After, as a page (a person reads it).
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(pe.RetryAfter.Seconds()))))
			h.errorPage(w, r, http.StatusTooManyRequests, "Too many sign-in attempts. Please wait a moment and try again.")
		default:
			sess.Pending.LoginHint = username
			h.showLogin(w, r, c, sess, "The username or password is incorrect.", now)
		}
		return
	}
	// A new sign-in: a new CSRF token, the customer, auth_time now (OIDC Core §2).
	sess.CustomerID, sess.InstitutionID, sess.AuthTime = cu.ID, cu.InstitutionID, now.Unix()
	sess.Until, sess.CSRF = now.Add(h.cfg.SessionTTL).Unix(), newCSRF()
	sess.Expires = max(sess.Until, now.Add(pendingTTL).Unix())
	h.afterLogin(w, r, c, sess, now)
}

// consent records the customer's decision (POST from the consent page): allow mints
// the code, deny answers access_denied (RFC 6749 §4.1.2.1).
func (h *Handler) consent(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	sess, c := h.formRequest(w, r, now)
	if sess == nil {
		return
	}
	req := sess.Pending
	if !sess.signedIn(c.InstitutionID, now) {
		h.errorPage(w, r, http.StatusBadRequest, "Your sign-in session has expired. Go back to the application and start again.")
		return
	}
	switch r.PostForm.Get("decision") {
	case "allow":
		// What was allowed before stays allowed: the consent grows to the union.
		// The details kept are the last ones approved (RFC 9396): the record of what
		// the customer saw; a request without any leaves them as they were.
		scope, details := req.Scope, req.Details
		if prev, err := h.cfg.Store.GetConsent(r.Context(), c.InstitutionID, sess.CustomerID, c.ID); err == nil {
			scope = union(prev.Scope, req.Scope)
			if details == nil {
				details = prev.AuthorizationDetails
			}
		}
		err := h.cfg.Store.SaveConsent(r.Context(), jeton.Consent{InstitutionID: c.InstitutionID,
			CustomerID: sess.CustomerID, ClientID: c.ID, Scope: scope, GrantedAt: now, AuthorizationDetails: details})
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		h.issueCode(w, r, c, sess, now)
	case "deny":
		sess.Pending = nil
		if err := h.cookies.write(w, sess, now); err != nil {
			h.serverError(w, r, err)
			return
		}
		h.toClient(w, r, req.RedirectURI, req.State, map[string][]string{"error": {"access_denied"}, "error_description": {"the customer declined"}})
	default:
		h.errorPage(w, r, http.StatusBadRequest, "Choose Allow or Deny.")
	}
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
	"github.com/jeton/jeton/reqlog"
	"github.com/jeton/jeton/token"
)

// pendingTTL is how long a customer has to sign in and consent.
const pendingTTL = 15 * time.Minute

// authorize is the authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), GET
// and POST (form-encoded, OIDC Core §3.1.2.1).
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	info := reqlog.From(r.Context())
	info.Dialect = "oidc"
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "This address only accepts GET and POST.")
		return
	}
	q, err := requestParams(r)
	if err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "The sign-in request is malformed.")
		return
	}
	now := h.cfg.Now()
	res, aerr := h.resolve(r.Context(), q, now)
	if aerr != nil && aerr.Cause != nil {
		h.serverError(w, r, aerr.Cause)
		return
	}
	if aerr != nil {
		info.Err = jeton.Errorf(jeton.Code(aerr.Code), jeton.ReasonNone, "%s", aerr.Desc)
		h.errorPage(w, r, http.StatusBadRequest, "This sign-in link is not valid: "+aerr.Desc+".")
		return
	}
	q, c := res.q, res.c
	info.ClientID = c.ID
	redirectURI, aerr := checkRedirect(q, c)
	if aerr != nil {
		info.Err = jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonNone, "%s", aerr.Desc)
		h.errorPage(w, r, http.StatusBadRequest, "This sign-in link is not valid: "+aerr.Desc+".")
		return
	}
	req, aerr := h.parse(q, c, redirectURI)
	switch {
	case aerr != nil:
	case c.RequirePAR && !res.fromPAR:
		aerr = clientError("invalid_request", "this client must push its authorization requests (PAR)")
	case c.RequireSignedRequestObject && !res.signed:
		aerr = clientError("invalid_request", errNoObject.Error())
	default:
		// The client's profile (FAPI 2.0 §5.3.2.2, package fapi2).
		if e := fapi2.Authorize(c, res.fromPAR, req.CodeChallenge); e != nil {
			aerr = clientError(string(e.Code), e.Description)
		}
	}
	if aerr != nil {
		state := q.Get("state")
		if len(state) > maxParam || len(q["state"]) > 1 {
			state = "" // never echo an oversized or repeated state
		}
		h.toClient(w, r, redirectURI, state, url.Values{"error": {aerr.Code}, "error_description": {aerr.Desc}})
		return
	}
	sess, _ := h.cookies.read(r, now)
	h.proceed(w, r, c, sess, req, now)
}

// requestParams reads the query (GET) or the form body (POST).
func requestParams(r *http.Request) (url.Values, error) {
	if r.Method == http.MethodGet {
		return url.ParseQuery(r.URL.RawQuery)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, errors.New("content type")
	}
	if reqlog.DeclaresOver(r, 64<<10) {
		return nil, errors.New("body too large")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

// resolved is an authorization request's parameters once their source is known:
// the query, a pushed request (fromPAR) or a signed request object (signed; a pushed
// request is signed when it was pushed as one).
type resolved struct {
	q               url.Values
	c               *jeton.Client
	fromPAR, signed bool
}

// resolve finds the client and, for request_uri, replaces the parameters with the
// pushed ones (RFC 9126 §4: the request_uri and client_id are all that is sent); for
// request, with the verified request object's (RFC 9101 §6.3, fromObject). Only
// jeton's own PAR URNs are accepted as request_uri: jeton fetches no request object
// from a URL. A request_uri is bound to the client that pushed it (RFC 9126 §2.2):
// the store consumes it only for that client, in the same statement, so another
// client_id presenting it gets the error and cannot burn it.
func (h *Handler) resolve(ctx context.Context, q url.Values, now time.Time) (*resolved, *authError) {
	clientID, ok := single(q, "client_id")
	if !ok || clientID == "" {
		return nil, pageError("client_id is missing or repeated")
	}
	c, err := h.cfg.Clients.Client(ctx, clientID)
	if err != nil && !errors.Is(err, jeton.ErrNotFound) {
		return nil, storeFailure(err)
	}
	if err != nil || c.Status != jeton.ClientActive || !c.AllowsGrant(jeton.GrantAuthorizationCode) {
		return nil, pageError("the application is unknown or may not sign customers in")
	}
	ref, ok1 := single(q, "request_uri")
	obj, ok2 := single(q, "request")
	switch {
	case !ok1 || !ok2:
		return nil, pageError("request_uri or request is repeated")
	case ref != "" && obj != "":
		return nil, pageError("request and request_uri cannot both be sent (RFC 9101 §5)")
	case obj != "":
		params, aerr := h.fromObject(ctx, &c, q, obj)
		if aerr != nil {
			return nil, aerr
		}
		return &resolved{q: params, c: &c, signed: true}, nil
	case ref == "":
		return &resolved{q: q, c: &c}, nil
	}
	id, found := strings.CutPrefix(ref, parURNPrefix)
	if !found {
		return nil, &authError{Code: "request_uri_not_supported", Desc: "request_uri is not one of ours: only the URNs of the PAR endpoint are accepted"}
	}
	p, err := h.cfg.Store.ConsumePushedRequest(ctx, jeton.Digest(id), c.ID, now)
	if err != nil && !errors.Is(err, jeton.ErrNotFound) {
		return nil, storeFailure(err)
	}
	if err != nil {
		if errors.Is(err, jeton.ErrNotFound) && h.cfg.Events != nil {
			// A used request_uri is deleted, so the store cannot tell a replay from an
			// expired or unknown one; each is a single-use reference presented when
			// it no longer counts, reported as a replay (docs/operations.md).
			h.cfg.Events.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventReplayRefused, Reason: jeton.EventReasonRequestURI,
				At: now, InstitutionID: c.InstitutionID, ClientID: c.ID})
		}
		return nil, pageError("request_uri is unknown, expired or already used")
	}
	out := url.Values(p.Params)
	out.Set("client_id", c.ID)
	return &resolved{q: out, c: &c, fromPAR: true, signed: p.Signed}, nil
}

// proceed decides the next step for a validated request: sign-in, consent, or the code.
func (h *Handler) proceed(w http.ResponseWriter, r *http.Request, c *jeton.Client, sess *session, req *authRequest, now time.Time) {
	if !sess.signedIn(c.InstitutionID, now) || req.prompt("login") || tooOld(sess, req, now) {
		if req.prompt("none") {
			// OIDC Core §3.1.2.6: login_required goes back to the client.
			h.toClient(w, r, req.RedirectURI, req.State, url.Values{"error": {"login_required"}})
			return
		}
		// Keep an existing sign-in (prompt=login abandoned leaves it as it was).
		sess.Pending, sess.CSRF = req, newCSRF()
		sess.Expires = max(sess.Until, now.Add(pendingTTL).Unix())
		h.showLogin(w, r, c, sess, "", now)
		return
	}
	sess.Pending, sess.CSRF = req, newCSRF()
	sess.Expires = max(sess.Until, now.Add(pendingTTL).Unix())
	h.afterLogin(w, r, c, sess, now)
}

// tooOld applies max_age (OIDC Core §3.1.2.1): a sign-in older than it must be redone;
// max_age=0 always asks again, like prompt=login.
func tooOld(sess *session, req *authRequest, now time.Time) bool {
	return req.MaxAge == 0 || (req.MaxAge > 0 && now.Unix()-sess.AuthTime > req.MaxAge)
}

// afterLogin shows the consent page, or skips it for first-party clients and for scopes
// the customer already allowed (unless prompt=consent), and answers with the code. A
// request with authorization_details always shows it, first-party or not: each payment
// or access it describes is the customer's to approve, once (RFC 9396 §1).
func (h *Handler) afterLogin(w http.ResponseWriter, r *http.Request, c *jeton.Client, sess *session, now time.Time) {
	req := sess.Pending
	needConsent := !c.FirstParty || req.Details != nil
	if needConsent && req.Details == nil && !req.prompt("consent") {
		prev, err := h.cfg.Store.GetConsent(r.Context(), c.InstitutionID, sess.CustomerID, c.ID)
		switch {
		case err == nil:
			needConsent = !covers(prev.Scope, req.Scope)
		case !errors.Is(err, jeton.ErrNotFound):
			h.serverError(w, r, err)
			return
		}
	}
	if !needConsent {
		h.issueCode(w, r, c, sess, now)
		return
	}
	if req.prompt("none") {
		h.toClient(w, r, req.RedirectURI, req.State, url.Values{"error": {"consent_required"}})
		return
	}
	h.showConsent(w, r, c, sess, now)
}

func covers(have, want []string) bool {
	for _, s := range want {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// issueCode mints the code (token.IssueCode) and sends the customer back to the client
// (RFC 6749 §4.1.2) with state and iss (RFC 9207).
func (h *Handler) issueCode(w http.ResponseWriter, r *http.Request, c *jeton.Client, sess *session, now time.Time) {
	req := sess.Pending
	code, err := token.IssueCode(r.Context(), h.cfg.Store, jeton.AuthorizationCode{
		ClientID: c.ID, InstitutionID: c.InstitutionID, Subject: sess.CustomerID,
		RedirectURI: req.RedirectURI, Scope: req.Scope, Nonce: req.Nonce,
		CodeChallenge: req.CodeChallenge, AuthTime: time.Unix(sess.AuthTime, 0), DPoPJKT: req.DPoPJKT,
		AuthorizationDetails: req.Details,
	}, now)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	sess.Pending = nil
	if err := h.cookies.write(w, sess, now); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.toClient(w, r, req.RedirectURI, req.State, url.Values{"code": {code}})
}

// toClient redirects to the (trusted) redirect URI with params.
func (h *Handler) toClient(w http.ResponseWriter, r *http.Request, redirectURI, state string, params url.Values) {
	if e := params.Get("error"); e != "" {
		reqlog.From(r.Context()).Err = jeton.Errorf(jeton.Code(e), jeton.ReasonNone, "%s", params.Get("error_description"))
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, redirectURL(redirectURI, h.cfg.Issuer, state, params), http.StatusSeeOther)
}

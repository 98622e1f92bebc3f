package console

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/password"
)

// institutionChoice is the institution a page works on: an institution admin's own,
// or the one an operator picked (?institution=), defaulting to the first.
type institutionChoice struct {
	All      []jeton.Institution // operator only
	Selected string
}

func (s *Server) chooseInstitution(r *http.Request, v *viewer) (institutionChoice, error) {
	if !v.Operator() {
		return institutionChoice{Selected: v.User.InstitutionID}, nil
	}
	all, err := s.cfg.Store.ListInstitutions(r.Context())
	if err != nil {
		return institutionChoice{}, err
	}
	c := institutionChoice{All: all, Selected: r.FormValue("institution")}
	if c.Selected == "" && len(all) > 0 {
		c.Selected = all[0].ID
	}
	return c, nil
}

type instData struct{ Institutions []jeton.Institution }

func (s *Server) institutionList(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.Operator() {
		s.notFound(w, r, v)
		return
	}
	all, err := s.cfg.Store.ListInstitutions(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "inst", v, instData{all})
}

// cursor links the pages of a keyset-paged list: back to the first, on to the next.
type cursor struct{ First, Next string }

type custData struct {
	Choice    institutionChoice
	Q         string
	Customers []jeton.Customer
	Pager     cursor
	Now       time.Time
	Flash     string
	Error     string
}

func (d custData) FlashText() string { return d.Flash }

// Locked reports whether c is locked at the page's time.
func (d custData) Locked(c jeton.Customer) bool { return c.LockedUntil.After(d.Now) }

func (s *Server) customerList(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.customers(w, r, v, http.StatusOK, "", "")
}

func (s *Server) customers(w http.ResponseWriter, r *http.Request, v *viewer, status int, flash, errMsg string) {
	ch, err := s.chooseInstitution(r, v)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := custData{Choice: ch, Q: strings.TrimSpace(r.FormValue("q")), Now: s.now(), Flash: flash, Error: errMsg}
	if ch.Selected != "" && v.CanSee(ch.Selected) {
		// Keyset paging in the store: a page never loads the institution's other customers.
		after := r.FormValue("after")
		list, err := s.cfg.Store.SearchCustomers(r.Context(), ch.Selected, d.Q, after, pageSize+1)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		link := func(after string) string {
			return "/console/customers?" + urlValues("institution", ch.Selected, "q", d.Q, "after", after)
		}
		if after != "" {
			d.Pager.First = link("")
		}
		if len(list) > pageSize {
			list = list[:pageSize]
			d.Pager.Next = link(list[pageSize-1].Username)
		}
		d.Customers = list
	}
	s.render(w, r, status, "cust", v, d)
}

// customer loads the customer in the URL if the viewer may see its institution.
func (s *Server) customer(w http.ResponseWriter, r *http.Request, v *viewer) (jeton.Customer, bool) {
	inst := r.PathValue("inst")
	if !v.CanSee(inst) {
		s.notFound(w, r, v)
		return jeton.Customer{}, false
	}
	c, err := s.cfg.Store.GetCustomer(r.Context(), inst, r.PathValue("cid"))
	if errors.Is(err, jeton.ErrNotFound) {
		s.notFound(w, r, v)
		return c, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return c, false
	}
	return c, true
}

// customerUnlock clears a customer's lock and failed sign-ins, as the admin API's
// unlock does, with the console user as actor.
func (s *Server) customerUnlock(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := s.customer(w, r, v)
	if !ok {
		return
	}
	details := map[string]string{"failed_attempts": strconv.Itoa(c.FailedAttempts)}
	if !c.LockedUntil.IsZero() {
		details["locked_until"] = c.LockedUntil.UTC().Format(time.RFC3339)
	}
	ev := s.event(r, v, c.InstitutionID, jeton.ActionCustomerUnlock, c.ID, details)
	if err := s.cfg.Store.ClearLoginFailuresAudited(r.Context(), c.InstitutionID, c.ID, ev); err != nil {
		s.serverError(w, r, err)
		return
	}
	r.Form.Set("institution", c.InstitutionID)
	s.customers(w, r, v, http.StatusOK, tfmt("cust.done.unlock", c.Username), "")
}

// customerPassword sets a new password and clears the lockout, as the admin API does.
func (s *Server) customerPassword(w http.ResponseWriter, r *http.Request, v *viewer) {
	c, ok := s.customer(w, r, v)
	if !ok {
		return
	}
	r.Form.Set("institution", c.InstitutionID)
	pw := r.PostFormValue("password")
	if err := password.Validate(pw); err != nil {
		s.customers(w, r, v, http.StatusUnprocessableEntity, "", err.Error())
		return
	}
	hash, err := password.Hash(pw, s.cfg.Password)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	c.PasswordHash, c.FailedAttempts, c.FailureWindowStart, c.LockedUntil = hash, 0, time.Time{}, time.Time{}
	c.UpdatedAt = s.now()
	ev := s.event(r, v, c.InstitutionID, jeton.ActionCustomerPasswordSet, c.ID, map[string]string{"fields": "password"})
	if err := s.cfg.Store.UpdateCustomerAudited(r.Context(), c, ev); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.customers(w, r, v, http.StatusOK, tfmt("cust.done.password", c.Username), "")
}

type hoursData struct {
	Choice          institutionChoice
	TimeZone        string
	Windows, Closed string
	Set, Open       bool
	Next            string
	Flash, Error    string
}

func (d hoursData) FlashText() string { return d.Flash }

func (s *Server) hoursPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.hours(w, r, v, http.StatusOK, hoursData{})
}

func (s *Server) hours(w http.ResponseWriter, r *http.Request, v *viewer, status int, d hoursData) {
	ch, err := s.chooseInstitution(r, v)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d.Choice = ch
	if ch.Selected != "" && v.CanSee(ch.Selected) {
		c, err := s.cfg.Store.GetCalendar(r.Context(), ch.Selected)
		switch {
		case errors.Is(err, jeton.ErrNotFound):
		case err != nil:
			s.serverError(w, r, err)
			return
		default:
			now := s.cfg.Now()
			d.Set, d.Open = true, c.Open(now)
			if next := c.NextOpening(now); !next.IsZero() {
				d.Next = next.In(c.Location()).Format("Mon 2 Jan 2006 15:04 MST")
			}
			if d.Error == "" {
				d.TimeZone = c.TimeZone
				var ws, cs []string
				for _, x := range c.Windows {
					ws = append(ws, x.String())
				}
				for _, x := range c.Closed {
					cs = append(cs, x.String())
				}
				d.Windows, d.Closed = strings.Join(ws, "\n"), strings.Join(cs, "\n")
			}
		}
	}
	s.render(w, r, status, "hours", v, d)
}

// hoursSave replaces the institution's calendar with the admin API's rule
// (adminapi.ParseHours) and drops it from the token endpoint's cache.
func (s *Server) hoursSave(w http.ResponseWriter, r *http.Request, v *viewer) {
	inst := r.PostFormValue("institution")
	if !v.CanSee(inst) { // a replayed form of another institution changes nothing
		s.notFound(w, r, v)
		return
	}
	in := adminapi.HoursInput{TimeZone: strings.TrimSpace(r.PostFormValue("time_zone")),
		Windows: lines(r.PostFormValue("windows")), Closed: lines(r.PostFormValue("closed"))}
	c, err := adminapi.ParseHours(inst, in)
	if err != nil {
		var ae *adminapi.APIError
		msg := err.Error()
		if errors.As(err, &ae) {
			msg = ae.Field + ": " + ae.Message
		}
		s.hours(w, r, v, http.StatusUnprocessableEntity, hoursData{Error: msg, TimeZone: in.TimeZone,
			Windows: r.PostFormValue("windows"), Closed: r.PostFormValue("closed")})
		return
	}
	c.UpdatedAt = s.now()
	ev := s.event(r, v, inst, jeton.ActionInstitutionHoursSet, inst, map[string]string{"time_zone": c.TimeZone})
	if err := s.cfg.Store.PutCalendarAudited(r.Context(), c, ev); err != nil {
		s.serverError(w, r, err)
		return
	}
	if s.cfg.InvalidateCalendar != nil {
		s.cfg.InvalidateCalendar(inst)
	}
	s.hours(w, r, v, http.StatusOK, hoursData{Flash: T("hours.saved")})
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

type keysData struct {
	Keys  []jeton.SigningKey
	Now   time.Time
	Off   bool
	Algs  []string
	Flash string
}

func (d keysData) FlashText() string { return d.Flash }

// Age is how long ago k was created, in whole days or hours.
func (d keysData) Age(k jeton.SigningKey) string {
	a := d.Now.Sub(k.CreatedAt)
	if a >= 48*time.Hour {
		return strconv.Itoa(int(a/(24*time.Hour))) + " days"
	}
	return strconv.Itoa(int(a/time.Hour)) + " hours"
}

// State names k's part in signing at the page's time.
func (d keysData) State(k jeton.SigningKey) string {
	switch {
	case !k.RetiredAt.IsZero() && !k.RetiredAt.After(d.Now):
		return T("key.retired")
	case k.ActiveAt.After(d.Now):
		return T("key.next")
	}
	return T("key.current")
}

func (s *Server) keyList(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.keys(w, r, v, "")
}

func (s *Server) keys(w http.ResponseWriter, r *http.Request, v *viewer, flash string) {
	if !v.Operator() {
		s.notFound(w, r, v)
		return
	}
	d := keysData{Now: s.now(), Off: s.cfg.Keys == nil, Algs: clients.SigningAlgs, Flash: flash}
	if s.cfg.Keys != nil {
		ks, err := s.cfg.Keys.List(r.Context())
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		d.Keys = ks
	}
	s.render(w, r, http.StatusOK, "keys", v, d)
}

// keyRotate adds a successor key of an alg, as the admin API's rotate does.
func (s *Server) keyRotate(w http.ResponseWriter, r *http.Request, v *viewer) {
	alg := r.PostFormValue("alg")
	if !v.Operator() || s.cfg.Keys == nil || !slices.Contains(clients.SigningAlgs, alg) {
		s.notFound(w, r, v)
		return
	}
	if _, err := s.cfg.Keys.RotateAudited(r.Context(), alg, s.event(r, v, "", jeton.ActionKeyRotate, "", nil)); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.keys(w, r, v, tfmt("keys.rotated", alg))
}

type auditData struct {
	Choice institutionChoice
	Action string
	Events []jeton.AuditEvent
	Pager  cursor
}

// auditCursor is an audit position in a URL: "<At in µs>.<Seq>".
func auditCursor(c jeton.AuditCursor) string {
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.Seq, 10)
}

func parseAuditCursor(s string) jeton.AuditCursor {
	at, seq, ok := strings.Cut(s, ".")
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return jeton.AuditCursor{}
	}
	return jeton.AuditCursor{At: time.UnixMicro(micros).UTC(), Seq: n}
}

// auditList pages the log with the store's keyset cursor (newest first).
func (s *Server) auditList(w http.ResponseWriter, r *http.Request, v *viewer) {
	d := auditData{Action: strings.TrimSpace(r.FormValue("action"))}
	if v.Operator() {
		insts, err := s.cfg.Store.ListInstitutions(r.Context())
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		d.Choice = institutionChoice{All: insts, Selected: r.FormValue("institution")}
	} else {
		d.Choice.Selected = v.User.InstitutionID
	}
	after := parseAuditCursor(r.FormValue("after"))
	page, err := s.cfg.Store.ListAudit(r.Context(), jeton.AuditFilter{InstitutionID: d.Choice.Selected,
		Action: d.Action, After: after, Limit: pageSize})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	link := func(after string) string {
		return "/console/audit?" + urlValues("institution", d.Choice.Selected, "action", d.Action, "after", after)
	}
	if !after.IsZero() {
		d.Pager.First = link("")
	}
	if !page.Next.IsZero() {
		d.Pager.Next = link(auditCursor(page.Next))
	}
	d.Events = page.Events
	s.render(w, r, http.StatusOK, "audit", v, d)
}

func tfmt(key string, args ...any) string {
	return funcs["tf"].(func(string, ...any) string)(key, args...)
}

package console

import (
	"errors"
	"net/http"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/reqlog"
)

type usersData struct {
	Users []jeton.ConsoleUser
	Me    string // the viewer's own id: no disable button on their row
	Now   time.Time
	Pager cursor
	Flash string
}

func (d usersData) FlashText() string { return d.Flash }

// Locked reports whether u's sign-in is locked at the page's time.
func (d usersData) Locked(u jeton.ConsoleUser) bool { return u.LockedUntil.After(d.Now) }

// userList is the operators' "Console users" page: every user with role, institution,
// state and last sign-in, 20 a page by username.
func (s *Server) userList(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.users(w, r, v, "")
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, v *viewer, flash string) {
	if !v.Operator() {
		s.notFound(w, r, v)
		return
	}
	after := r.URL.Query().Get("after")
	list, err := s.cfg.Store.ListConsoleUsers(r.Context(), after, pageSize+1)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := usersData{Users: list, Me: v.User.ID, Now: s.now(), Flash: flash}
	if after != "" {
		d.Pager.First = "/console/users"
	}
	if len(list) > pageSize {
		d.Users = list[:pageSize]
		d.Pager.Next = "/console/users?" + urlValues("after", list[pageSize-1].Username)
	}
	s.render(w, r, http.StatusOK, "users", v, d)
}

type userConfirmData struct {
	User    jeton.ConsoleUser
	Disable bool
}

func (d userConfirmData) PageTitle() string {
	if d.Disable {
		return T("users.disable.title")
	}
	return T("users.enable.title")
}

// target loads the console user of the URL for an operator, and what the URL asks
// ("disable" or "enable"); anything else is 404, to an institution admin too.
func (s *Server) target(w http.ResponseWriter, r *http.Request, v *viewer) (jeton.ConsoleUser, bool, bool) {
	op := r.PathValue("op")
	if !v.Operator() || (op != "disable" && op != "enable") {
		s.notFound(w, r, v)
		return jeton.ConsoleUser{}, false, false
	}
	u, err := s.cfg.Store.GetConsoleUser(r.Context(), r.PathValue("id"))
	if errors.Is(err, jeton.ErrNotFound) {
		s.notFound(w, r, v)
		return u, false, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return u, false, false
	}
	return u, op == "disable", true
}

// userConfirm asks before a disable or an enable.
func (s *Server) userConfirm(w http.ResponseWriter, r *http.Request, v *viewer) {
	if u, disable, ok := s.target(w, r, v); ok {
		s.render(w, r, http.StatusOK, "userconfirm", v, userConfirmData{User: u, Disable: disable})
	}
}

// userSet disables or enables a console user once the box is ticked; an operator
// cannot disable themself.
func (s *Server) userSet(w http.ResponseWriter, r *http.Request, v *viewer) {
	u, disable, ok := s.target(w, r, v)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.render(w, r, http.StatusUnprocessableEntity, "userconfirm", v, userConfirmData{User: u, Disable: disable})
		return
	}
	err := SetUserDisabled(r.Context(), s.cfg.Store, v.Actor(), v.User.ID, u, disable, reqlog.AuditDetails(r.Context(), nil), s.now())
	switch {
	case errors.Is(err, ErrSelfDisable):
		s.render(w, r, http.StatusUnprocessableEntity, "error", v, errorData{T("users.self")})
		return
	case errors.Is(err, jeton.ErrNotFound):
		s.notFound(w, r, v)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	key := "users.enabled"
	if disable {
		key = "users.disabled"
	}
	s.users(w, r, v, tfmt(key, u.Username))
}

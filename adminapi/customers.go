package adminapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/password"
)

// institution loads the institution named in the URL, so that customer routes under an
// unknown institution answer 404 rather than an empty list.
func (s *server) institution(r *http.Request) (jeton.Institution, error) {
	inst, err := s.cfg.Store.GetInstitution(r.Context(), r.PathValue("id"))
	if err != nil {
		return inst, storeError(err, "institution")
	}
	return inst, nil
}

func (s *server) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var in CustomerInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	inst, err := s.institution(r)
	if err != nil {
		return err
	}
	if err := clients.CheckText("username", in.Username, maxUsernameLen); err != nil {
		return err
	}
	if err := password.Validate(in.Password); err != nil {
		return fieldError("password", "%v", err)
	}
	if err := checkClaims(in.Claims); err != nil {
		return err
	}
	hash, err := password.Hash(in.Password, s.cfg.Password)
	if err != nil {
		return err
	}
	now := s.now()
	c := jeton.Customer{
		ID: jeton.NewID(), InstitutionID: inst.ID, Username: in.Username, PasswordHash: hash,
		Claims: in.Claims, Status: jeton.CustomerActive, CreatedAt: now, UpdatedAt: now,
	}
	ctx := r.Context()
	ev := s.event(ctx, inst.ID, jeton.ActionCustomerCreate, c.ID, jeton.AuditChange(nil, c))
	if err := s.cfg.Store.CreateCustomerAudited(ctx, c, ev); err != nil {
		return storeError(err, "a customer with this username")
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	inst, err := s.institution(r)
	if err != nil {
		return err
	}
	list, err := s.cfg.Store.ListCustomers(r.Context(), inst.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[jeton.Customer]{Items: nonNil(list)})
	return nil
}

func (s *server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Store.GetCustomer(r.Context(), r.PathValue("id"), r.PathValue("cid"))
	if err != nil {
		return storeError(err, "customer")
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// setPassword replaces a customer's password. It also clears the lockout counters: an
// administrator resetting a password is how a locked-out customer gets back in.
func (s *server) setPassword(w http.ResponseWriter, r *http.Request) error {
	var in PasswordInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := password.Validate(in.Password); err != nil {
		return fieldError("password", "%v", err)
	}
	ctx := r.Context()
	c, err := s.cfg.Store.GetCustomer(ctx, r.PathValue("id"), r.PathValue("cid"))
	if err != nil {
		return storeError(err, "customer")
	}
	before := c
	if c.PasswordHash, err = password.Hash(in.Password, s.cfg.Password); err != nil {
		return err
	}
	c.FailedAttempts = 0
	c.FailureWindowStart = time.Time{}
	c.LockedUntil = time.Time{}
	c.UpdatedAt = s.now()
	// The password and its hash are never in the event: "fields" says it changed,
	// before/after show the lockout state the reset cleared.
	ev := s.event(ctx, c.InstitutionID, jeton.ActionCustomerPasswordSet, c.ID,
		withFields(jeton.AuditChange(before, c), "password"))
	if err := s.cfg.Store.UpdateCustomerAudited(ctx, c, ev); err != nil {
		return storeError(err, "customer")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// unlockCustomer lets a locked-out customer sign in again before the cooldown ends: it
// clears the lock and the run of failed sign-ins (the password stays as it is). The
// audit event records what was cleared.
func (s *server) unlockCustomer(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.cfg.Store.GetCustomer(ctx, r.PathValue("id"), r.PathValue("cid"))
	if err != nil {
		return storeError(err, "customer")
	}
	before := c
	c.FailedAttempts, c.FailureWindowStart, c.LockedUntil = 0, time.Time{}, time.Time{}
	details := jeton.AuditChange(before, c)
	details["failed_attempts"] = strconv.Itoa(before.FailedAttempts)
	if !before.LockedUntil.IsZero() {
		details["locked_until"] = before.LockedUntil.UTC().Format(time.RFC3339)
	}
	ev := s.event(ctx, c.InstitutionID, jeton.ActionCustomerUnlock, c.ID, details)
	if err := s.cfg.Store.ClearLoginFailuresAudited(ctx, c.InstitutionID, c.ID, ev); err != nil {
		return storeError(err, "customer")
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

package adminapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
)

func (s *server) createInstitution(w http.ResponseWriter, r *http.Request) error {
	var in InstitutionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := clients.CheckText("name", in.Name, clients.MaxNameLen); err != nil {
		return err
	}
	now := s.now()
	inst := jeton.Institution{ID: jeton.NewID(), Name: in.Name, CreatedAt: now, UpdatedAt: now}
	if in.DefaultProfile != nil {
		if err := clients.CheckProfile("default_profile", *in.DefaultProfile); err != nil {
			return err
		}
		inst.DefaultProfile = *in.DefaultProfile
	}
	ctx := r.Context()
	ev := s.event(ctx, inst.ID, jeton.ActionInstitutionCreate, inst.ID, jeton.AuditChange(nil, inst))
	if err := s.cfg.Store.CreateInstitutionAudited(ctx, inst, ev); err != nil {
		return storeError(err, "institution")
	}
	writeJSON(w, http.StatusCreated, inst)
	return nil
}

func (s *server) listInstitutions(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Store.ListInstitutions(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[jeton.Institution]{Items: nonNil(list)})
	return nil
}

func (s *server) getInstitution(w http.ResponseWriter, r *http.Request) error {
	inst, err := s.cfg.Store.GetInstitution(r.Context(), r.PathValue("id"))
	if err != nil {
		return storeError(err, "institution")
	}
	writeJSON(w, http.StatusOK, inst)
	return nil
}

func (s *server) updateInstitution(w http.ResponseWriter, r *http.Request) error {
	var in InstitutionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := clients.CheckText("name", in.Name, clients.MaxNameLen); err != nil {
		return err
	}
	ctx := r.Context()
	inst, err := s.cfg.Store.GetInstitution(ctx, r.PathValue("id"))
	if err != nil {
		return storeError(err, "institution")
	}
	before := inst
	inst.Name, inst.UpdatedAt = in.Name, s.now()
	fields := []string{"name"}
	if in.DefaultProfile != nil {
		if err := s.checkDefaultProfile(ctx, before, *in.DefaultProfile); err != nil {
			return err
		}
		inst.DefaultProfile = *in.DefaultProfile
		fields = append(fields, "default_profile")
	}
	ev := s.event(ctx, inst.ID, jeton.ActionInstitutionUpdate, inst.ID, withFields(jeton.AuditChange(before, inst), strings.Join(fields, ",")))
	if err := s.cfg.Store.UpdateInstitutionAudited(ctx, inst, ev); err != nil {
		return storeError(err, "institution")
	}
	if inst.DefaultProfile != before.DefaultProfile {
		if err := s.invalidateClients(ctx, inst.ID); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, inst)
	return nil
}

// checkDefaultProfile validates a new default_profile p of inst: a profile jeton
// knows, and, when it changes, one that none of the institution's clients following
// the default would break (clients.CheckDefaultProfile). Such a refusal is a 409
// conflict on default_profile, as the admin API answers every change the current
// state forbids: the value is valid, and the same request succeeds once the clients
// are changed, which a 400 for a malformed input would not suggest.
func (s *server) checkDefaultProfile(ctx context.Context, inst jeton.Institution, p string) error {
	if err := clients.CheckProfile("default_profile", p); err != nil {
		return err
	}
	if p == inst.DefaultProfile {
		return nil
	}
	return clients.CheckDefaultProfile(ctx, s.cfg.Store, inst.ID, p)
}

// invalidateClients drops the cached clients of an institution whose default_profile
// changed: each carries the default it was read with (jeton.Client.InstitutionProfile),
// and the new one must apply at once, as a client change does.
func (s *server) invalidateClients(ctx context.Context, institutionID string) error {
	if s.cfg.Invalidate == nil {
		return nil
	}
	list, err := s.cfg.Store.ListClients(ctx, institutionID)
	if err != nil {
		return err
	}
	for _, c := range list {
		s.cfg.Invalidate(c.ID)
	}
	return nil
}

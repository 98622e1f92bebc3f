package adminapi

import (
	"net/http"

	"github.com/jeton/jeton/clients"
)

// The client routes decode, call the clients service (which holds every rule and
// writes each change with its audit event) and answer.

func (s *server) createClient(w http.ResponseWriter, r *http.Request) error {
	var in ClientInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ch, err := s.clients.Create(r.Context(), actor, in)
	if err != nil {
		return clientError(err)
	}
	writeJSON(w, http.StatusCreated, created(ch))
	return nil
}

func (s *server) listClients(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	inst := r.URL.Query().Get("institution_id")
	if inst != "" {
		if _, err := s.cfg.Store.GetInstitution(ctx, inst); err != nil {
			return storeError(err, "institution")
		}
	}
	cs, err := s.cfg.Store.ListClients(ctx, inst)
	if err != nil {
		return err
	}
	now := s.now()
	out := List[ClientView]{Items: make([]ClientView, 0, len(cs))}
	for _, c := range cs {
		out.Items = append(out.Items, viewOf(c, now))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) getClient(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Store.GetClient(r.Context(), r.PathValue("id"))
	if err != nil {
		return storeError(err, "client")
	}
	writeJSON(w, http.StatusOK, viewOf(c, s.now()))
	return nil
}

func (s *server) updateClient(w http.ResponseWriter, r *http.Request) error {
	var in ClientUpdate
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ch, err := s.clients.Update(r.Context(), actor, r.PathValue("id"), in)
	if err != nil {
		return clientError(err)
	}
	writeJSON(w, http.StatusOK, created(ch))
	return nil
}

// deleteClient soft-deletes; deleting twice is not an error (clients.Service.Delete).
func (s *server) deleteClient(w http.ResponseWriter, r *http.Request) error {
	if err := s.clients.Delete(r.Context(), actor, r.PathValue("id")); err != nil {
		return clientError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	var in RotateSecretInput
	if err := decodeOptionalJSON(w, r, &in); err != nil {
		return err
	}
	ch, err := s.clients.RotateSecret(r.Context(), actor, r.PathValue("id"), in.GraceSeconds)
	if err != nil {
		return clientError(err)
	}
	writeJSON(w, http.StatusOK, created(ch))
	return nil
}

// created is the answer to a change: the client as of the change (its UpdatedAt is
// the change's time) and the secret the change issued, if any.
func created(ch clients.Changed) CreatedClient {
	return CreatedClient{ClientView: viewOf(ch.Client, ch.Client.UpdatedAt), ClientSecret: ch.Secret}
}

// clientError answers a failure of the clients service: a missing or duplicate client
// is a 404 or 409 naming it; the service's refusals are answered by writeError.
func clientError(err error) error { return storeError(err, "client") }

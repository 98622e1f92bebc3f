package adminapi

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
)

// errNoKeys answers the key routes of a server wired without a key manager.
var errNoKeys = &APIError{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "key management is not configured"}

// listKeys shows key metadata only; jeton.SigningKey never serialises key material.
func (s *server) listKeys(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Keys == nil {
		return errNoKeys
	}
	ks, err := s.cfg.Keys.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, List[jeton.SigningKey]{Items: nonNil(ks)})
	return nil
}

// rotateKey adds a new signing key of an algorithm; the key manager publishes it before
// it signs, so relying parties see it in the JWKS first.
func (s *server) rotateKey(w http.ResponseWriter, r *http.Request) error {
	var in RotateKeyInput
	if err := decodeOptionalJSON(w, r, &in); err != nil {
		return err
	}
	alg := cmp.Or(in.Alg, clients.DefaultSigningAlg)
	if !slices.Contains(clients.SigningAlgs, alg) {
		return fieldError("alg", "unsupported signing algorithm %q; use ES256, RS256, PS256 or EdDSA", alg)
	}
	if s.cfg.Keys == nil {
		return errNoKeys
	}
	ctx := r.Context()
	k, err := s.cfg.Keys.RotateAudited(ctx, alg, s.event(ctx, "", jeton.ActionKeyRotate, "", nil))
	if err != nil {
		return err
	}
	if s.cfg.Events != nil {
		s.cfg.Events.SecurityEvent(ctx, jeton.SecurityEvent{Kind: jeton.EventKeyRotated, Reason: jeton.EventReasonAdmin, At: s.now()})
	}
	writeJSON(w, http.StatusCreated, k)
	return nil
}

package adminapi_test

import (
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// TestJWKSURINonPublicRefusedAtRegistration: a jwks_uri that names a loopback,
// private, link-local or metadata address is refused with a clear error, unless the
// operator allowed that host (--jwks-allow-hosts), as test setups do.
func TestJWKSURINonPublicRefusedAtRegistration(t *testing.T) {
	loopback := []string{"http://127.0.0.1:8080/jwks", "http://localhost/jwks", "http://[::1]:9/jwks"}
	e := newEnv(t)
	inst := mustInstitution(t, e, "Bank")
	for _, uri := range append([]string{"https://169.254.169.254/latest/meta-data", "https://10.0.0.7/jwks",
		"https://[fd00:ec2::254]/jwks", "https://[::ffff:127.0.0.1]/jwks", "https://0.0.0.0/jwks", "https://LocalHost./jwks"}, loopback...) {
		body := mustJSON(t, adminapi.ClientInput{InstitutionID: inst.ID, Name: "L", AuthMethod: jeton.AuthPrivateKey, JWKSURI: uri})
		a := e.raw("POST", "/admin/v1/clients", body)
		a.wantError(t, 400, "invalid_field", "jwks_uri")
		if !strings.Contains(string(a.body), "not a public address") {
			t.Errorf("%s: %s does not say why", uri, a.body)
		}
	}
	allowed := newEnv(t, "127.0.0.1", "LOCALHOST", "::1")
	inst = mustInstitution(t, allowed, "Bank")
	for _, uri := range loopback {
		if _, err := allowed.c.CreateClient(t.Context(), adminapi.ClientInput{InstitutionID: inst.ID, Name: "L", AuthMethod: jeton.AuthPrivateKey, JWKSURI: uri}); err != nil {
			t.Errorf("%s refused although allowed: %v", uri, err)
		}
	}
}

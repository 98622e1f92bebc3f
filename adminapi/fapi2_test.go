package adminapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// The FAPI 2.0 profile at the admin API (docs/fapi2.md): an institution's
// default_profile is set, kept and validated; a client's profile is validated; and a
// client held to FAPI 2.0, by its own profile or its institution's default, is
// refused any authentication method but private_key_jwt and mTLS (FAPI 2.0
// §5.3.2.1), at creation and at update.
func TestFAPI2Profile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fapi, err := e.c.CreateInstitutionWith(ctx, adminapi.InstitutionInput{Name: "FAPI Bank", DefaultProfile: adminapi.Ptr("fapi2")})
	if err != nil || fapi.DefaultProfile != "fapi2" {
		t.Fatalf("create with default_profile: %+v %v", fapi, err)
	}
	// A rename without default_profile keeps it.
	if got, err := e.c.UpdateInstitution(ctx, fapi.ID, adminapi.InstitutionInput{Name: "FAPI Bank plc"}); err != nil || got.DefaultProfile != "fapi2" {
		t.Fatalf("rename: %+v %v", got, err)
	}
	plain := mustInstitution(t, e, "Plain Bank")
	for _, body := range []string{`{"name":"x","default_profile":"fapi1"}`, `{"name":"x","default_profile":"FAPI2"}`, `{"name":"x","default_profile":7}`} {
		a := e.raw(http.MethodPatch, "/admin/v1/institutions/"+plain.ID, body)
		if a.status != http.StatusBadRequest {
			t.Errorf("update with %s: %d %s", body, a.status, a.body)
		}
		if a = e.raw(http.MethodPost, "/admin/v1/institutions", body); a.status != http.StatusBadRequest {
			t.Errorf("create with %s: %d %s", body, a.status, a.body)
		}
	}
	e.raw(http.MethodPatch, "/admin/v1/institutions/"+plain.ID, `{"name":"x","default_profile":"fapi1"}`).
		wantError(t, http.StatusBadRequest, "invalid_field", "default_profile")

	key := []jeton.ClientKey{{Format: jeton.KeyPEM, Data: ecPEM(t)}}
	authCode := func(in adminapi.ClientInput) adminapi.ClientInput {
		in.Grants, in.RedirectURIs, in.Scopes = []string{jeton.GrantAuthorizationCode}, []string{"https://app.example/cb"}, []string{"accounts"}
		return in
	}
	// Refused: a secret method with the client's own profile, or under the default.
	for name, in := range map[string]adminapi.ClientInput{
		"own profile, client_secret_basic":     {InstitutionID: plain.ID, Name: "a", Profile: "fapi2"},
		"own profile, client_secret_jwt":       {InstitutionID: plain.ID, Name: "a", Profile: "fapi2", AuthMethod: jeton.AuthSecretJWT},
		"own profile, public":                  {InstitutionID: plain.ID, Name: "a", Profile: "fapi2", AuthMethod: jeton.AuthNone},
		"institution default, secret_post":     {InstitutionID: fapi.ID, Name: "a", AuthMethod: jeton.AuthSecretPost},
		"institution default, default (basic)": {InstitutionID: fapi.ID, Name: "a"},
	} {
		_, err := e.c.CreateClient(ctx, authCode(in))
		if ae := asAPIError(t, err); ae.Field != "auth_method" || !strings.Contains(ae.Message, "FAPI 2.0: client authentication must be private_key_jwt") {
			t.Errorf("%s: %v", name, err)
		}
	}
	pw := authCode(adminapi.ClientInput{InstitutionID: plain.ID, Name: "pw", Profile: "fapi2", AuthMethod: jeton.AuthPrivateKey, PublicKeys: key})
	pw.Grants = append(pw.Grants, jeton.GrantPassword)
	_, err = e.c.CreateClient(ctx, pw)
	if ae := asAPIError(t, err); ae.Field != "grants" || !strings.Contains(ae.Message, "password credentials grant") {
		t.Errorf("password grant: %v", err)
	}
	_, err = e.c.CreateClient(ctx, authCode(adminapi.ClientInput{InstitutionID: plain.ID, Name: "a", Profile: "fapi-2"}))
	if ae := asAPIError(t, err); ae.Field != "profile" {
		t.Errorf("unknown profile: %v", err)
	}
	// Accepted: private_key_jwt, own profile or inherited; the answer says which.
	own, err := e.c.CreateClient(ctx, authCode(adminapi.ClientInput{InstitutionID: plain.ID, Name: "own", Profile: "fapi2",
		AuthMethod: jeton.AuthPrivateKey, PublicKeys: key}))
	if err != nil || own.Profile != "fapi2" || own.EffectiveProfile != "fapi2" {
		t.Fatalf("own profile: %+v %v", own.ClientView, err)
	}
	inh, err := e.c.CreateClient(ctx, authCode(adminapi.ClientInput{InstitutionID: fapi.ID, Name: "inherits",
		AuthMethod: jeton.AuthPrivateKey, PublicKeys: key}))
	if err != nil || inh.Profile != "" || inh.EffectiveProfile != "fapi2" {
		t.Fatalf("inherited profile: %+v %v", inh.ClientView, err)
	}
	// Update: switching either to a secret is refused, and nothing changes.
	for _, id := range []string{own.ClientID, inh.ClientID} {
		_, err := e.c.UpdateClient(ctx, id, adminapi.ClientUpdate{AuthMethod: adminapi.Ptr(jeton.AuthSecretBasic)})
		if ae := asAPIError(t, err); ae.Field != "auth_method" {
			t.Errorf("update %s to client_secret_basic: %v", id, err)
		}
		got, err := e.c.GetClient(ctx, id)
		if err != nil || got.AuthMethod != jeton.AuthPrivateKey {
			t.Errorf("%s after the refused update: %+v %v", id, got, err)
		}
	}
	// Dropping the client's own profile returns it to its institution's default.
	back, err := e.c.UpdateClient(ctx, own.ClientID, adminapi.ClientUpdate{Profile: adminapi.Ptr(""), AuthMethod: adminapi.Ptr(jeton.AuthSecretBasic)})
	if err != nil || back.Profile != "" || back.EffectiveProfile != "" || back.AuthMethod != jeton.AuthSecretBasic {
		t.Fatalf("profile cleared: %+v %v", back.ClientView, err)
	}
	// A change of the institution's default drops its clients from the token
	// endpoint's cache at once; a rename does not.
	e.invalidations()
	if _, err := e.c.UpdateInstitution(ctx, fapi.ID, adminapi.InstitutionInput{Name: "FAPI Bank", DefaultProfile: adminapi.Ptr("fapi2")}); err != nil {
		t.Fatal(err)
	}
	if got := e.invalidations(); len(got) != 0 {
		t.Errorf("unchanged default invalidated %v", got)
	}
	if _, err := e.c.UpdateInstitution(ctx, fapi.ID, adminapi.InstitutionInput{Name: "FAPI Bank", DefaultProfile: adminapi.Ptr("")}); err != nil {
		t.Fatal(err)
	}
	if got := e.invalidations(); len(got) != 1 || got[0] != inh.ClientID {
		t.Errorf("changed default invalidated %v, want [%s]", got, inh.ClientID)
	}
	if _, err := e.c.UpdateInstitution(ctx, fapi.ID, adminapi.InstitutionInput{Name: "FAPI Bank", DefaultProfile: adminapi.Ptr("fapi2")}); err != nil {
		t.Fatal(err)
	}
	e.invalidations()
	raw := e.raw(http.MethodGet, "/admin/v1/clients/"+inh.ClientID, "")
	var view map[string]any
	if err := json.Unmarshal(raw.body, &view); err != nil || view["profile"] != "" || view["effective_profile"] != "fapi2" {
		t.Fatalf("client JSON: %s", raw.body)
	}
}

// TestFAPI2SigningAlg: a client held to FAPI 2.0, by its own profile or its
// institution's default, is refused a signing_alg that FAPI 2.0 §5.4 does not allow
// (RS256), at creation and at update, on the field signing_alg; a client without the
// profile keeps RS256.
func TestFAPI2SigningAlg(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fapi, err := e.c.CreateInstitutionWith(ctx, adminapi.InstitutionInput{Name: "FAPI Bank", DefaultProfile: adminapi.Ptr("fapi2")})
	if err != nil {
		t.Fatal(err)
	}
	plain := mustInstitution(t, e, "Plain Bank")
	key := []jeton.ClientKey{{Format: jeton.KeyPEM, Data: ecPEM(t)}}
	in := func(inst, profile, alg string) adminapi.ClientInput {
		return adminapi.ClientInput{InstitutionID: inst, Name: "app", Profile: profile, AuthMethod: jeton.AuthPrivateKey,
			PublicKeys: key, SigningAlg: alg}
	}
	wantRefused := func(what string, err error) {
		t.Helper()
		if ae := asAPIError(t, err); ae.Status != http.StatusBadRequest || ae.Field != "signing_alg" ||
			!strings.Contains(ae.Message, "FAPI 2.0: the client's tokens must be signed with PS256, ES256 or EdDSA") {
			t.Errorf("%s: %v", what, err)
		}
	}
	_, err = e.c.CreateClient(ctx, in(plain.ID, "fapi2", "RS256"))
	wantRefused("create, own profile", err)
	_, err = e.c.CreateClient(ctx, in(fapi.ID, "", "RS256"))
	wantRefused("create, institution default", err)

	for _, alg := range []string{"", "PS256", "EdDSA"} { // "": the default, ES256
		c, err := e.c.CreateClient(ctx, in(fapi.ID, "", alg))
		if err != nil {
			t.Fatalf("create with signing_alg %q: %v", alg, err)
		}
		_, err = e.c.UpdateClient(ctx, c.ClientID, adminapi.ClientUpdate{SigningAlg: adminapi.Ptr("RS256")})
		wantRefused("update to RS256", err)
		if got, err := e.c.GetClient(ctx, c.ClientID); err != nil || got.SigningAlg != c.SigningAlg || got.SigningAlg == "RS256" {
			t.Errorf("after the refused update: %+v %v", got, err)
		}
	}
	// Only without the profile may a client have RS256...
	own, err := e.c.CreateClient(ctx, in(plain.ID, "fapi2", "ES256"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.UpdateClient(ctx, own.ClientID, adminapi.ClientUpdate{SigningAlg: adminapi.Ptr("RS256")})
	wantRefused("update to RS256, own profile", err)
	back, err := e.c.UpdateClient(ctx, own.ClientID, adminapi.ClientUpdate{Profile: adminapi.Ptr(""), SigningAlg: adminapi.Ptr("RS256")})
	if err != nil || back.SigningAlg != "RS256" || back.EffectiveProfile != "" {
		t.Fatalf("RS256 without the profile: %+v %v", back.ClientView, err)
	}
	// ...and giving it back is refused for the same reason.
	_, err = e.c.UpdateClient(ctx, own.ClientID, adminapi.ClientUpdate{Profile: adminapi.Ptr("fapi2")})
	wantRefused("profile fapi2 for an RS256 client", err)
}

// TestFAPI2DefaultProfileSwitch: making fapi2 an institution's default_profile is
// refused with 409 conflict on default_profile while a client that follows the
// default would break a FAPI 2.0 registration rule; the answer names each (at most
// 20, then how many more) with its rules, and nothing changes. Clients with a profile
// of their own, deleted ones and other institutions' are not in the way; disabled
// ones are. Once the clients are fixed the switch goes through. On both stores.
func TestFAPI2DefaultProfileSwitch(t *testing.T) {
	bothStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		bank, other := mustInstitution(t, e, "Bank"), mustInstitution(t, e, "Other Bank")
		key := []jeton.ClientKey{{Format: jeton.KeyPEM, Data: ecPEM(t)}}
		create := func(in adminapi.ClientInput) string {
			t.Helper()
			if in.InstitutionID == "" {
				in.InstitutionID = bank.ID
			}
			in.Name = "app"
			c, err := e.c.CreateClient(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return c.ClientID
		}
		pkjwt := func(alg string, grants ...string) adminapi.ClientInput {
			return adminapi.ClientInput{AuthMethod: jeton.AuthPrivateKey, PublicKeys: key, SigningAlg: alg, Grants: grants}
		}
		secret := create(adminapi.ClientInput{})
		rsa := create(pkjwt("RS256"))
		pw := create(pkjwt("ES256", jeton.GrantClientCredentials, jeton.GrantPassword))
		disabled := create(adminapi.ClientInput{})
		if _, err := e.c.DisableClient(ctx, disabled); err != nil {
			t.Fatal(err)
		}
		fine := create(pkjwt("ES256"))
		own := create(adminapi.ClientInput{Profile: "fapi2", AuthMethod: jeton.AuthPrivateKey, PublicKeys: key})
		gone := create(adminapi.ClientInput{})
		if err := e.c.DeleteClient(ctx, gone); err != nil {
			t.Fatal(err)
		}
		elsewhere := create(adminapi.ClientInput{InstitutionID: other.ID})
		e.invalidations()

		toFAPI := adminapi.InstitutionInput{Name: "Bank", DefaultProfile: adminapi.Ptr("fapi2")}
		refused := func() string {
			t.Helper()
			_, err := e.c.UpdateInstitution(ctx, bank.ID, toFAPI)
			ae := asAPIError(t, err)
			if ae.Status != http.StatusConflict || ae.Code != adminapi.CodeConflict || ae.Field != "default_profile" ||
				!strings.HasPrefix(ae.Message, "FAPI 2.0: ") {
				t.Fatalf("switch to fapi2: %v, want 409 conflict on default_profile", err)
			}
			if got, err := e.c.GetInstitution(ctx, bank.ID); err != nil || got.DefaultProfile != "" {
				t.Fatalf("institution after the refusal: %+v %v", got, err)
			}
			if got := e.invalidations(); len(got) != 0 {
				t.Fatalf("a refused switch invalidated %v", got)
			}
			return ae.Message
		}
		msg := refused()
		for id, rule := range map[string]string{
			secret:   "auth_method: client authentication must be private_key_jwt",
			rsa:      "signing_alg: the client's tokens must be signed with PS256, ES256 or EdDSA",
			pw:       "grants: the resource owner password credentials grant is not allowed",
			disabled: "auth_method: client authentication must be private_key_jwt",
		} {
			if !strings.Contains(msg, id+" ("+rule) {
				t.Errorf("the refusal does not name %s breaking %q: %s", id, rule, msg)
			}
		}
		for _, id := range []string{fine, own, gone, elsewhere} {
			if strings.Contains(msg, id) {
				t.Errorf("the refusal names %s, which is not in the way: %s", id, msg)
			}
		}
		if !strings.Contains(msg, "4 of the institution's clients") || strings.Contains(msg, "more") {
			t.Errorf("count: %s", msg)
		}

		// More offenders than are named: 20 named, then how many more.
		for range 20 {
			create(adminapi.ClientInput{})
		}
		e.invalidations()
		msg = refused()
		if !strings.Contains(msg, "24 of the institution's clients") || !strings.HasSuffix(msg, " and 4 more") ||
			strings.Count(msg, " (auth_method: ")+strings.Count(msg, " (signing_alg: ")+strings.Count(msg, " (grants: ") != 20 {
			t.Errorf("24 offenders: %s", msg)
		}

		// Fixed (changed or deleted), the switch goes through and drops the
		// institution's clients from the cache.
		list, err := e.c.ListClients(ctx, bank.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if c.Status == jeton.ClientDeleted || c.ClientID == fine || c.ClientID == own || c.ClientID == rsa {
				continue
			}
			if err := e.c.DeleteClient(ctx, c.ClientID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.c.UpdateClient(ctx, rsa, adminapi.ClientUpdate{SigningAlg: adminapi.Ptr("PS256")}); err != nil {
			t.Fatal(err)
		}
		e.invalidations()
		got, err := e.c.UpdateInstitution(ctx, bank.ID, toFAPI)
		if err != nil || got.DefaultProfile != "fapi2" {
			t.Fatalf("switch with conforming clients: %+v %v", got, err)
		}
		if inv := e.invalidations(); !slices.Contains(inv, fine) || !slices.Contains(inv, rsa) {
			t.Errorf("the switch invalidated %v, want %s and %s among them", inv, fine, rsa)
		}
	})
}

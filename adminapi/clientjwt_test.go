package adminapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/keys"
)

func envKEK() []byte {
	kek := make([]byte, 32)
	for i := range kek {
		kek[i] = byte(i)
	}
	return kek
}

// openSealed checks that a stored sealed secret opens to want under the env's KEK.
func openSealed(t *testing.T, id string, sealed []byte, want string) {
	t.Helper()
	got, err := keys.OpenSecret(envKEK(), id, sealed)
	if err != nil || got != want {
		t.Fatalf("sealed secret of %s opens to %v (err %v); want the issued secret", id, got != "", err)
	}
}

func TestClientSecretJWTSealsSecret(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	out, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "HS", AuthMethod: jeton.AuthSecretJWT})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.store.GetClient(ctx, out.ClientID)
	if !jeton.DigestEqual(out.ClientSecret, c.SecretDigest) {
		t.Fatal("digest not stored")
	}
	openSealed(t, c.ID, c.SecretSealed, out.ClientSecret)

	// Rotation with grace: the old sealed secret moves to previous.
	rot, err := e.c.RotateSecret(ctx, c.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, _ = e.store.GetClient(ctx, c.ID)
	openSealed(t, c.ID, c.SecretSealed, rot.ClientSecret)
	openSealed(t, c.ID, c.PreviousSecretSealed, out.ClientSecret)
	if !c.PreviousSecretExpiresAt.Equal(e.clock().Add(time.Hour)) {
		t.Fatalf("previous expires %v", c.PreviousSecretExpiresAt)
	}
	// Rotation without grace: no previous secret in any form.
	rot2, _ := e.c.RotateSecret(ctx, c.ID, 0)
	c, _ = e.store.GetClient(ctx, c.ID)
	openSealed(t, c.ID, c.SecretSealed, rot2.ClientSecret)
	if c.PreviousSecretSealed != nil || c.PreviousSecretDigest != nil {
		t.Fatal("a rotation without grace kept the previous secret")
	}

	// Switching to client_secret_basic keeps the digest only.
	if _, err := e.c.UpdateClient(ctx, c.ID, adminapi.ClientUpdate{AuthMethod: adminapi.Ptr(jeton.AuthSecretBasic)}); err != nil {
		t.Fatal(err)
	}
	c, _ = e.store.GetClient(ctx, c.ID)
	if c.SecretSealed != nil || c.PreviousSecretSealed != nil || !jeton.DigestEqual(rot2.ClientSecret, c.SecretDigest) {
		t.Fatal("switching to client_secret_basic must drop the sealed secret and keep the digest")
	}
	// Back to client_secret_jwt: a digest cannot key HS256, so a new secret is issued.
	up, err := e.c.UpdateClient(ctx, c.ID, adminapi.ClientUpdate{AuthMethod: adminapi.Ptr(jeton.AuthSecretJWT)})
	if err != nil || up.ClientSecret == "" {
		t.Fatalf("switch to client_secret_jwt: secret issued=%v err=%v", up.ClientSecret != "", err)
	}
	c, _ = e.store.GetClient(ctx, c.ID)
	openSealed(t, c.ID, c.SecretSealed, up.ClientSecret)
	if jeton.DigestEqual(rot2.ClientSecret, c.SecretDigest) {
		t.Fatal("the old secret still works after the switch")
	}
	// Deleting drops everything.
	if err := e.c.DeleteClient(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	c, _ = e.store.GetClient(ctx, c.ID)
	if c.SecretSealed != nil || c.SecretDigest != nil {
		t.Fatal("a deleted client kept its secret")
	}
}

func TestOtherSecretMethodsKeepDigestOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	for _, m := range []jeton.AuthMethod{jeton.AuthSecretBasic, jeton.AuthSecretPost} {
		out, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "S", AuthMethod: m})
		if err != nil {
			t.Fatal(err)
		}
		e.c.RotateSecret(ctx, out.ClientID, time.Hour)
		c, _ := e.store.GetClient(ctx, out.ClientID)
		if c.SecretSealed != nil || c.PreviousSecretSealed != nil {
			t.Fatalf("%s: secret stored decryptably", m)
		}
	}
}

func TestJWKSURIAndRefreshRotation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := mustInstitution(t, e, "Bank")
	out, err := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "U", AuthMethod: jeton.AuthPrivateKey,
		JWKSURI: "https://partner.example/jwks.json", RefreshRotation: "off",
		Grants: []string{jeton.GrantPassword, jeton.GrantRefreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	if out.JWKSURI != "https://partner.example/jwks.json" || out.RefreshRotation != "off" || out.ClientSecret != "" {
		t.Fatalf("view: %+v", out.ClientView)
	}
	c, _ := e.store.GetClient(ctx, out.ClientID)
	if c.JWKSURI != out.JWKSURI || !c.RefreshRotationOff {
		t.Fatalf("stored: jwks_uri %q rotation off %v", c.JWKSURI, c.RefreshRotationOff)
	}
	// Default rotation is on; update switches it; a PEM key replaces the URI.
	def, _ := e.c.CreateClient(ctx, adminapi.ClientInput{InstitutionID: inst.ID, Name: "D"})
	if def.RefreshRotation != "on" || def.JWKSURI != "" {
		t.Fatalf("defaults: %+v", def.ClientView)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	up, err := e.c.UpdateClient(ctx, out.ClientID, adminapi.ClientUpdate{RefreshRotation: adminapi.Ptr("on"),
		JWKSURI: adminapi.Ptr(""), PublicKeys: &[]jeton.ClientKey{{Format: jeton.KeyPEM, Data: pkixPEM(t, ec.Public())}}})
	if err != nil {
		t.Fatal(err)
	}
	if up.RefreshRotation != "on" || up.JWKSURI != "" || len(up.PublicKeys) != 1 {
		t.Fatalf("after update: %+v", up.ClientView)
	}
	var shape map[string]any
	b, _ := json.Marshal(up.ClientView)
	_ = json.Unmarshal(b, &shape)
	if _, ok := shape["refresh_rotation"]; !ok {
		t.Fatal("view lacks refresh_rotation")
	}

	bad := []struct {
		name, body, field string
	}{
		{"http jwks_uri", `{"institution_id":"` + inst.ID + `","name":"x","auth_method":"private_key_jwt","jwks_uri":"http://partner.example/jwks"}`, "jwks_uri"},
		{"relative jwks_uri", `{"institution_id":"` + inst.ID + `","name":"x","auth_method":"private_key_jwt","jwks_uri":"/jwks"}`, "jwks_uri"},
		{"jwks_uri with user", `{"institution_id":"` + inst.ID + `","name":"x","auth_method":"private_key_jwt","jwks_uri":"https://u:p@partner.example/jwks"}`, "jwks_uri"},
		{"jwks_uri with fragment", `{"institution_id":"` + inst.ID + `","name":"x","auth_method":"private_key_jwt","jwks_uri":"https://partner.example/jwks#k"}`, "jwks_uri"},
		{"ftp jwks_uri", `{"institution_id":"` + inst.ID + `","name":"x","auth_method":"private_key_jwt","jwks_uri":"ftp://partner.example/jwks"}`, "jwks_uri"},
		{"jwks_uri and public_keys", mustJSON(t, adminapi.ClientInput{InstitutionID: inst.ID, Name: "x", AuthMethod: jeton.AuthPrivateKey,
			JWKSURI: "https://partner.example/jwks", PublicKeys: []jeton.ClientKey{{Format: jeton.KeyPEM, Data: pkixPEM(t, ec.Public())}}}), "jwks_uri"},
		{"private_key_jwt without keys", `{"institution_id":"` + inst.ID + `","name":"x","auth_method":"private_key_jwt"}`, "public_keys"},
		{"refresh_rotation maybe", `{"institution_id":"` + inst.ID + `","name":"x","refresh_rotation":"maybe"}`, "refresh_rotation"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			e.raw("POST", "/admin/v1/clients", tt.body).wantError(t, 400, "invalid_field", tt.field)
		})
	}
}

func TestWeakRSAKeyRefusedAtRegistration(t *testing.T) {
	e := newEnv(t)
	inst := mustInstitution(t, e, "Bank")
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	body := mustJSON(t, adminapi.ClientInput{InstitutionID: inst.ID, Name: "W", AuthMethod: jeton.AuthPrivateKey,
		PublicKeys: []jeton.ClientKey{{Format: jeton.KeyPEM, Data: pkixPEM(t, k.Public())}}})
	a := e.raw("POST", "/admin/v1/clients", body)
	a.wantError(t, 400, "invalid_field", "public_keys[0].data")
	if clients, _ := e.store.ListClients(context.Background(), inst.ID); len(clients) != 0 {
		t.Fatal("a refused registration left a client behind")
	}
}

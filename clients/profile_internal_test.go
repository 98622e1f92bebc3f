package clients

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/fapi2"
	"github.com/jeton/jeton/storetest/stores"
)

// TestCheckDefaultProfilePages: CheckDefaultProfile reads an institution's clients
// page by page (here 2 a page, all created at the same instant so the cursor's id
// tie-break matters) and counts every offender while naming only the first maxNamed
// (here 3). On both stores.
func TestCheckDefaultProfilePages(t *testing.T) {
	defer func(page, named int) { followersPage, maxNamed = page, named }(followersPage, maxNamed)
	followersPage, maxNamed = 2, 3
	t.Run("sqlite", func(t *testing.T) { checkDefaultProfilePages(t, stores.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { checkDefaultProfilePages(t, stores.Postgres(t)(t)) })
}

func checkDefaultProfilePages(t *testing.T, st jeton.Store) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := st.CreateInstitution(ctx, jeton.Institution{ID: "bank", Name: "Bank", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	add := func(id string, m jeton.AuthMethod) {
		t.Helper()
		c := jeton.Client{ID: id, InstitutionID: "bank", Institutions: []string{"bank"}, Name: id, Status: jeton.ClientActive,
			AuthMethod: m, Grants: []string{jeton.GrantClientCredentials}, Scopes: []string{"a"}, TokenFormat: jeton.FormatJWT,
			AccessTokenTTL: time.Hour, RefreshTokenTTL: time.Hour, SigningAlg: "ES256", CreatedAt: now, UpdatedAt: now}
		if err := st.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 7 {
		add(fmt.Sprintf("c%d", i), jeton.AuthSecretBasic)
	}
	add("c3-fine", jeton.AuthTLSClient)
	add("c9-fine", jeton.AuthTLSClient)

	if err := CheckDefaultProfile(ctx, st, "bank", ""); err != nil {
		t.Fatalf("no default: %v", err)
	}
	err := CheckDefaultProfile(ctx, st, "bank", fapi2.Name)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Field != "default_profile" {
		t.Fatalf("fapi2: %v, want a conflict on default_profile", err)
	}
	if !strings.Contains(ce.Message, "7 of the institution's clients") || !strings.HasSuffix(ce.Message, ": c0 ("+
		"auth_method: client authentication must be private_key_jwt, tls_client_auth or self_signed_tls_client_auth), c1 ("+
		"auth_method: client authentication must be private_key_jwt, tls_client_auth or self_signed_tls_client_auth), c2 ("+
		"auth_method: client authentication must be private_key_jwt, tls_client_auth or self_signed_tls_client_auth) and 4 more") {
		t.Errorf("message: %s", ce.Message)
	}
}

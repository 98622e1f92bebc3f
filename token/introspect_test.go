package token_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
	"github.com/jeton/jeton/token/tokentest"
)

func (w *rtWorld) introspectAs(t *testing.T, caller, tok, hint string) *token.Introspection {
	t.Helper()
	c := w.client(t, caller)
	res, err := w.intro.Introspect(context.Background(), &c, tok, hint)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (w *rtWorld) clientCredentials(t *testing.T, client string) *token.Result {
	t.Helper()
	res, err := w.engine.Token(context.Background(), token.Request{GrantType: jeton.GrantClientCredentials, Credentials: rtCreds(client)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (w *rtWorld) revoke(t *testing.T, caller, tok, hint string) token.Revocation {
	t.Helper()
	c := w.client(t, caller)
	res, err := w.revoker.Revoke(context.Background(), &c, tok, hint)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (w *rtWorld) editClient(t *testing.T, id string, edit func(*jeton.Client)) {
	t.Helper()
	c := w.client(t, id)
	edit(&c)
	if err := w.store.UpdateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func (w *rtWorld) editCustomer(t *testing.T, edit func(*jeton.Customer)) {
	t.Helper()
	c, err := w.store.GetCustomer(context.Background(), rtInstA, rtCustomer)
	if err != nil {
		t.Fatal(err)
	}
	edit(&c)
	if err := w.store.UpdateCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// TestIntrospectEveryKind: a JWT and an opaque access token of a customer, a client's
// own token, and a refresh token all introspect with the RFC 7662 §2.2 fields.
func TestIntrospectEveryKind(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	now := w.clock.Now()
	jwtRes := w.seed(t, "app", "accounts:read", "payments")
	_, fam := w.family(t, jwtRes.RefreshToken)
	opaqueRes := w.seed(t, "opaque-app")
	_, opaqueFam := w.family(t, opaqueRes.RefreshToken)
	cc := w.clientCredentials(t, "app")
	if strings.Count(opaqueRes.AccessToken, ".") != 0 || strings.Count(jwtRes.AccessToken, ".") != 2 {
		t.Fatal("token formats are not what the clients registered")
	}
	tests := []struct {
		name, tok, hint string
		want            token.Introspection
	}{
		{"jwt access token", jwtRes.AccessToken, "", token.Introspection{Kind: token.KindJWTAccess, TokenType: "Bearer",
			Scope: []string{"accounts:read", "payments"}, ClientID: "app", Subject: rtCustomer, Audience: []string{"https://api.example"},
			ExpiresAt: now.Add(time.Hour), IssuedAt: now, JTI: jwtRes.JTI, FamilyID: fam.ID}},
		{"opaque access token", opaqueRes.AccessToken, "access_token", token.Introspection{Kind: token.KindOpaqueAccess, TokenType: "Bearer",
			Scope: []string{"accounts:read"}, ClientID: "opaque-app", Subject: rtCustomer, Audience: []string{"https://api.example"},
			ExpiresAt: now.Add(time.Hour), IssuedAt: now, JTI: opaqueRes.JTI, FamilyID: opaqueFam.ID}},
		{"client credentials token", cc.AccessToken, "", token.Introspection{Kind: token.KindJWTAccess, TokenType: "Bearer",
			Scope: []string{"accounts:read"}, ClientID: "app", Subject: "app", Audience: []string{"https://api.example"},
			ExpiresAt: now.Add(time.Hour), IssuedAt: now, JTI: cc.JTI}},
		{"refresh token", jwtRes.RefreshToken, "refresh_token", token.Introspection{Kind: token.KindRefresh, TokenType: "refresh_token",
			Scope: []string{"accounts:read", "payments"}, ClientID: "app", Subject: rtCustomer,
			ExpiresAt: now.Add(7 * 24 * time.Hour), IssuedAt: now, FamilyID: fam.ID}},
		// The hint is only a hint (RFC 7662 §2.1): a wrong one still finds the token.
		{"refresh token, wrong hint", opaqueRes.RefreshToken, "access_token", token.Introspection{Kind: token.KindRefresh, TokenType: "refresh_token",
			Scope: []string{"accounts:read"}, ClientID: "opaque-app", Subject: rtCustomer,
			ExpiresAt: now.Add(7 * 24 * time.Hour), IssuedAt: now, FamilyID: opaqueFam.ID}},
		{"opaque access token, wrong hint", opaqueRes.AccessToken, "refresh_token", token.Introspection{Kind: token.KindOpaqueAccess, TokenType: "Bearer",
			Scope: []string{"accounts:read"}, ClientID: "opaque-app", Subject: rtCustomer, Audience: []string{"https://api.example"},
			ExpiresAt: now.Add(time.Hour), IssuedAt: now, JTI: opaqueRes.JTI, FamilyID: opaqueFam.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Any client of the institution may introspect an access token; a refresh
			// token only the client it was issued to.
			caller := "other-app"
			if tt.want.Kind == token.KindRefresh {
				caller = tt.want.ClientID
			}
			got := w.introspectAs(t, caller, tt.tok, tt.hint)
			want := tt.want
			want.Active, want.Issuer, want.InstitutionID = true, "https://as.example", rtInstA
			if got.Active != want.Active || got.Kind != want.Kind || got.TokenType != want.TokenType ||
				!slices.Equal(got.Scope, want.Scope) || got.ClientID != want.ClientID || got.Subject != want.Subject ||
				!slices.Equal(got.Audience, want.Audience) || got.Issuer != want.Issuer || !got.ExpiresAt.Equal(want.ExpiresAt) ||
				!got.IssuedAt.Equal(want.IssuedAt) || got.JTI != want.JTI || got.InstitutionID != want.InstitutionID ||
				got.FamilyID != want.FamilyID {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

// TestIntrospectInactive: every reason a token is inactive, each with the reason the
// log records. Each case starts from a fresh world whose tokens are all active.
func TestIntrospectInactive(t *testing.T) {
	type tokens struct{ jwt, opaque, refresh, cc *token.Result }
	tests := []struct {
		name   string
		caller string
		// act changes the world and returns the token to introspect.
		act    func(t *testing.T, w *rtWorld, tk tokens) string
		reason jeton.Reason
	}{
		{"unknown opaque", "app", func(_ *testing.T, _ *rtWorld, _ tokens) string { return jeton.NewSecret() }, jeton.ReasonNone},
		{"empty", "app", func(_ *testing.T, _ *rtWorld, _ tokens) string { return "" }, jeton.ReasonNone},
		{"oversized", "app", func(_ *testing.T, _ *rtWorld, _ tokens) string { return strings.Repeat("a", 9<<10) }, jeton.ReasonNone},
		{"garbled jwt", "app", func(_ *testing.T, _ *rtWorld, tk tokens) string {
			return tk.jwt.AccessToken[:len(tk.jwt.AccessToken)-4] + "AAAA"
		}, jeton.ReasonNone},
		{"jwt signed by an unpublished key", "app", func(t *testing.T, w *rtWorld, _ tokens) string {
			other := keys.NewManager(sqlitetest.New(t), make([]byte, 32), keys.Config{Algs: []string{"ES256"}, Now: w.clock.Now})
			if err := other.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			return signClaims(t, w, other, "at+jwt", nil)
		}, jeton.ReasonNone},
		{"jwt with another issuer", "app", func(t *testing.T, w *rtWorld, _ tokens) string {
			return signClaims(t, w, w.keys, "at+jwt", func(c map[string]any) { c["iss"] = "https://evil.example" })
		}, jeton.ReasonNone},
		{"jwt without exp", "app", func(t *testing.T, w *rtWorld, _ tokens) string {
			return signClaims(t, w, w.keys, "at+jwt", func(c map[string]any) { delete(c, "exp") })
		}, jeton.ReasonNone},
		{"jwt that is not an access token (typ)", "app", func(t *testing.T, w *rtWorld, _ tokens) string {
			return signClaims(t, w, w.keys, "JWT", nil)
		}, jeton.ReasonNone},
		{"jwt expired", "app", func(_ *testing.T, w *rtWorld, tk tokens) string {
			w.clock.Advance(time.Hour)
			return tk.jwt.AccessToken
		}, jeton.ReasonExpired},
		{"opaque expired", "app", func(_ *testing.T, w *rtWorld, tk tokens) string {
			w.clock.Advance(time.Hour)
			return tk.opaque.AccessToken
		}, jeton.ReasonExpired},
		{"refresh idle expired", "app", func(_ *testing.T, w *rtWorld, tk tokens) string {
			w.clock.Advance(7 * 24 * time.Hour)
			return tk.refresh.RefreshToken
		}, jeton.ReasonExpired},
		{"refresh rotated", "app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.mustRefresh(t, "app", tk.refresh.RefreshToken)
			return tk.refresh.RefreshToken
		}, jeton.ReasonReplay},
		{"jwt revoked", "app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.revoke(t, "app", tk.jwt.AccessToken, "")
			return tk.jwt.AccessToken
		}, jeton.ReasonRevoked},
		{"opaque revoked", "app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.revoke(t, "opaque-app", tk.opaque.AccessToken, "")
			return tk.opaque.AccessToken
		}, jeton.ReasonRevoked},
		{"refresh revoked", "app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.revoke(t, "app", tk.refresh.RefreshToken, "")
			return tk.refresh.RefreshToken
		}, jeton.ReasonRevoked},
		{"jwt of a revoked family", "app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.revoke(t, "app", tk.jwt.RefreshToken, "refresh_token")
			return tk.jwt.AccessToken
		}, jeton.ReasonRevoked},
		{"opaque of a revoked family", "app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.revoke(t, "opaque-app", tk.opaque.RefreshToken, "")
			return tk.opaque.AccessToken
		}, jeton.ReasonRevoked},
		{"client disabled", "other-app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.editClient(t, "app", func(c *jeton.Client) { c.Status = jeton.ClientDisabled })
			return tk.cc.AccessToken
		}, jeton.ReasonClientInactive},
		{"client deleted (refresh token)", "app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.editClient(t, "app", func(c *jeton.Client) { c.Status = jeton.ClientDeleted })
			return tk.refresh.RefreshToken
		}, jeton.ReasonClientInactive},
		{"customer locked", "app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.editCustomer(t, func(c *jeton.Customer) { c.LockedUntil = w.clock.Now().Add(time.Minute) })
			return tk.jwt.AccessToken
		}, jeton.ReasonLocked},
		{"customer disabled", "app", func(t *testing.T, w *rtWorld, tk tokens) string {
			w.editCustomer(t, func(c *jeton.Customer) { c.Status = jeton.CustomerDisabled })
			return tk.opaque.AccessToken
		}, jeton.ReasonCustomerInactive},
		{"customer missing", "app", func(t *testing.T, w *rtWorld, _ tokens) string {
			res, err := w.engine.Token(context.Background(), token.Request{GrantType: tokentest.GrantSeed, Credentials: rtCreds("app"), Username: "nobody"})
			if err != nil {
				t.Fatal(err)
			}
			return res.AccessToken
		}, jeton.ReasonCustomerInactive},
		{"another institution's jwt", "b-app", func(_ *testing.T, _ *rtWorld, tk tokens) string { return tk.jwt.AccessToken }, jeton.ReasonInstitution},
		{"another institution's opaque", "b-app", func(_ *testing.T, _ *rtWorld, tk tokens) string { return tk.opaque.AccessToken }, jeton.ReasonInstitution},
		{"another institution's refresh", "b-app", func(_ *testing.T, _ *rtWorld, tk tokens) string { return tk.refresh.RefreshToken }, jeton.ReasonInstitution},
		{"another client's refresh", "other-app", func(_ *testing.T, _ *rtWorld, tk tokens) string { return tk.refresh.RefreshToken }, jeton.ReasonWrongClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newRTWorld(t, sqlitetest.New(t))
			tk := tokens{jwt: w.seed(t, "app"), opaque: w.seed(t, "opaque-app"), refresh: w.seed(t, "app"), cc: w.clientCredentials(t, "app")}
			for _, tok := range []string{tk.jwt.AccessToken, tk.opaque.AccessToken, tk.refresh.RefreshToken, tk.cc.AccessToken} {
				if !w.introspectAs(t, "app", tok, "").Active {
					t.Fatal("every token starts active")
				}
			}
			tok := tt.act(t, w, tk)
			got := w.introspectAs(t, tt.caller, tok, "")
			if got.Active || got.Reason != tt.reason {
				t.Fatalf("active %v, reason %q; want inactive, %q", got.Active, got.Reason, tt.reason)
			}
			if got.ClientID != "" || got.Subject != "" || got.Scope != nil {
				t.Errorf("an inactive answer must carry nothing: %+v", got)
			}
		})
	}
}

// TestIntrospectRefreshTokenOnlyForItsClient: a refresh token is never shown to a
// resource server, so it introspects active only for the client it was issued to
// (RFC 7662 §4 leaves the choice to the server). Any other client of the institution,
// a client_credentials-only one included, gets an inactive answer that carries
// nothing, while access tokens stay introspectable by every client of the institution.
func TestIntrospectRefreshTokenOnlyForItsClient(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	w.addClient(t, "cc-only", rtInstA, func(c *jeton.Client) { c.Grants = []string{jeton.GrantClientCredentials} })
	jwtRes, opaqueRes := w.seed(t, "app", "accounts:read", "payments"), w.seed(t, "opaque-app")
	for _, caller := range []string{"cc-only", "other-app", "opaque-app"} {
		for _, hint := range []string{"", token.HintRefreshToken, token.HintAccessToken} {
			got := w.introspectAs(t, caller, jwtRes.RefreshToken, hint)
			if got.Active || got.Reason != jeton.ReasonWrongClient || got.Subject != "" || got.Scope != nil || got.ClientID != "" {
				t.Errorf("%s introspected app's refresh token (hint %q): %+v", caller, hint, *got)
			}
		}
	}
	if got := w.introspectAs(t, "app", opaqueRes.RefreshToken, token.HintRefreshToken); got.Active {
		t.Errorf("app introspected opaque-app's refresh token: %+v", *got)
	}
	if got := w.introspectAs(t, "app", jwtRes.RefreshToken, ""); !got.Active || got.Subject != rtCustomer ||
		!slices.Equal(got.Scope, []string{"accounts:read", "payments"}) {
		t.Errorf("the token's own client: %+v", *got)
	}
	for _, tok := range []string{jwtRes.AccessToken, opaqueRes.AccessToken} {
		if got := w.introspectAs(t, "cc-only", tok, ""); !got.Active || got.Subject != rtCustomer {
			t.Errorf("a resource server of the institution lost access-token introspection: %+v", *got)
		}
	}
}

// signClaims signs a token shaped like jeton's access tokens with km's ES256 key and
// the given typ, after edit changes its claims.
func signClaims(t *testing.T, w *rtWorld, km *keys.Manager, typ string, edit func(map[string]any)) string {
	t.Helper()
	now := w.clock.Now()
	claims := map[string]any{"iss": "https://as.example", "sub": "app", "aud": "https://api.example", "client_id": "app",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "jti": jeton.NewID(), "institution_id": rtInstA}
	if edit != nil {
		edit(claims)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	s, err := km.Signer("ES256")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(payload, typ)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The same hand-signed claims with our key, typ and issuer are active: the negative
// cases above fail for the reason they name, not for the way they were built.
func TestIntrospectHandSignedControl(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	if got := w.introspectAs(t, "app", signClaims(t, w, w.keys, "at+jwt", nil), ""); !got.Active {
		t.Fatalf("control token inactive: %q", got.Reason)
	}
}

// TestIntrospectRS256: tokens of a client signing with RS256 verify against the
// published RSA key.
func TestIntrospectRS256(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t), "ES256", "RS256")
	w.addClient(t, "rsa-app", rtInstA, func(c *jeton.Client) { c.SigningAlg = "RS256" })
	res := w.seed(t, "rsa-app")
	if got := w.introspectAs(t, "app", res.AccessToken, ""); !got.Active || got.ClientID != "rsa-app" {
		t.Fatalf("RS256 token: %+v", got)
	}
}

func TestRevoke(t *testing.T) {
	t.Run("refresh token revokes the family and its access tokens", func(t *testing.T) {
		w := newRTWorld(t, sqlitetest.New(t))
		first := w.seed(t, "app")
		second := w.mustRefresh(t, "app", first.RefreshToken)
		bystander := w.seed(t, "app")
		if r := w.revoke(t, "app", second.RefreshToken, "refresh_token"); !r.Revoked || r.Kind != token.KindRefresh {
			t.Fatalf("revocation %+v", r)
		}
		for name, tok := range map[string]string{"first access": first.AccessToken, "second access": second.AccessToken, "refresh": second.RefreshToken} {
			if w.active(t, tok) {
				t.Errorf("%s still active", name)
			}
		}
		_, err := w.refresh("app", second.RefreshToken)
		wantProtoErr(t, err, jeton.CodeInvalidGrant, jeton.ReasonRevoked)
		if !w.active(t, bystander.AccessToken) || !w.active(t, bystander.RefreshToken) {
			t.Error("another family was touched")
		}
		// Revoking again is fine (RFC 7009 §2.2: the answer is the same).
		if r := w.revoke(t, "app", second.RefreshToken, ""); r.Reason != jeton.ReasonNone && r.Reason != jeton.ReasonRevoked {
			t.Errorf("second revocation %+v", r)
		}
	})
	t.Run("access token alone", func(t *testing.T) {
		w := newRTWorld(t, sqlitetest.New(t))
		res := w.seed(t, "app")
		if r := w.revoke(t, "app", res.AccessToken, "access_token"); !r.Revoked || r.Kind != token.KindJWTAccess {
			t.Fatalf("revocation %+v", r)
		}
		if w.active(t, res.AccessToken) {
			t.Error("revoked access token active")
		}
		// The refresh token is not revoked with it (docs/tokens.md).
		next := w.mustRefresh(t, "app", res.RefreshToken)
		if !w.active(t, next.AccessToken) {
			t.Error("new access token inactive")
		}
		jti, _ := w.store.IsRevoked(context.Background(), jeton.RevokeJTI, res.JTI)
		if !jti {
			t.Error("jti not recorded")
		}
	})
	t.Run("another client's token is left alone", func(t *testing.T) {
		w := newRTWorld(t, sqlitetest.New(t))
		res := w.seed(t, "app")
		for _, tok := range []string{res.AccessToken, res.RefreshToken} {
			if r := w.revoke(t, "other-app", tok, ""); r.Revoked || r.Reason != jeton.ReasonWrongClient {
				t.Fatalf("revocation %+v", r)
			}
			if !w.active(t, tok) {
				t.Fatal("another client revoked the token")
			}
		}
		w.mustRefresh(t, "app", res.RefreshToken)
	})
	t.Run("unknown and expired tokens revoke nothing", func(t *testing.T) {
		w := newRTWorld(t, sqlitetest.New(t))
		res := w.seed(t, "app")
		if r := w.revoke(t, "app", jeton.NewSecret(), ""); r.Revoked {
			t.Fatalf("revoked an unknown token: %+v", r)
		}
		w.clock.Advance(time.Hour)
		if r := w.revoke(t, "app", res.AccessToken, ""); r.Revoked || r.Reason != jeton.ReasonExpired {
			t.Fatalf("revocation of an expired token %+v", r)
		}
	})
}

// TestIntrospectCacheNeverSkipsChecks: the second introspection of a JWT comes from the
// verified-signature cache, yet a revocation, a disabled client or another institution
// made after the first call still make it inactive.
func TestIntrospectCacheNeverSkipsChecks(t *testing.T) {
	w := newRTWorld(t, sqlitetest.New(t))
	first := w.clientCredentials(t, "app")
	second := w.clientCredentials(t, "app")
	for _, tok := range []string{first.AccessToken, second.AccessToken} {
		if !w.introspectAs(t, "app", tok, "").Active {
			t.Fatal("fresh token inactive")
		}
	}
	if w.introspectAs(t, "b-app", first.AccessToken, "").Active {
		t.Error("a cached token is active for another institution's client")
	}
	w.revoke(t, "app", first.AccessToken, "")
	if w.introspectAs(t, "app", first.AccessToken, "").Active {
		t.Error("a revoked token is active from the cache")
	}
	w.editClient(t, "app", func(c *jeton.Client) { c.Status = jeton.ClientDisabled })
	if w.introspectAs(t, "other-app", second.AccessToken, "").Active {
		t.Error("a disabled client's cached token is active")
	}
	tampered := second.AccessToken[:len(second.AccessToken)-2] + "AA"
	if w.introspectAs(t, "app", tampered, "").Active {
		t.Error("a tampered token is active")
	}
}

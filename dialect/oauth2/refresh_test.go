package oauth2_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	xoauth2 "golang.org/x/oauth2"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/internal/goldenfile"
)

// oauthConfig is a golang.org/x/oauth2 client of the token server.
func (s *tokenServer) oauthConfig(client string, style xoauth2.AuthStyle) *xoauth2.Config {
	return &xoauth2.Config{ClientID: client, ClientSecret: secret,
		Endpoint: xoauth2.Endpoint{TokenURL: s.srv.URL + oauth2.TokenPath, AuthStyle: style}}
}

// refreshWith makes x/oauth2's TokenSource refresh rt (the token it holds is expired).
func refreshWith(t *testing.T, cfg *xoauth2.Config, rt string) *xoauth2.Token {
	t.Helper()
	tok, err := cfg.TokenSource(context.Background(), &xoauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)}).Token()
	if err != nil {
		t.Fatalf("x/oauth2 refresh: %v", err)
	}
	return tok
}

// TestRefreshThroughXOAuth2: a real OAuth client library refreshes, gets a rotated
// refresh token, and the tokens introspect as expected.
func TestRefreshThroughXOAuth2(t *testing.T) {
	s := newTokenServer(t)
	for _, tt := range []struct {
		client string
		style  xoauth2.AuthStyle
	}{{"app", xoauth2.AuthStyleInHeader}, {"post-app", xoauth2.AuthStyleInParams}} {
		t.Run(tt.client, func(t *testing.T) {
			cfg := s.oauthConfig(tt.client, tt.style)
			first := s.seed(t, tt.client)
			s.clock.Advance(10 * time.Minute)
			second := refreshWith(t, cfg, first.RefreshToken)
			if second.AccessToken == "" || second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.TokenType != "Bearer" {
				t.Fatalf("refreshed token: type %q, rotated %v", second.TokenType, second.RefreshToken != first.RefreshToken)
			}
			if second.Extra("scope") != "accounts:read" || second.ExpiresIn != 3600 {
				t.Errorf("scope %v, expires_in %d", second.Extra("scope"), second.ExpiresIn)
			}
			// Refresh tokens introspect only for their own client (docs/tokens.md).
			if !s.isActive(t, "app", second.AccessToken) || !s.isActive(t, tt.client, second.RefreshToken) || s.isActive(t, tt.client, first.RefreshToken) {
				t.Error("after rotation: new tokens active, the old refresh token not")
			}
			// A retry of the first token within the grace gets the same successor.
			s.clock.Advance(5 * time.Second)
			if again := refreshWith(t, cfg, first.RefreshToken); again.RefreshToken != second.RefreshToken {
				t.Error("retry within the grace must return the same successor")
			}
			third := refreshWith(t, cfg, second.RefreshToken)
			if third.RefreshToken == second.RefreshToken {
				t.Error("no rotation on the second refresh")
			}
		})
	}
}

func TestRefreshErrorsThroughXOAuth2(t *testing.T) {
	s := newTokenServer(t)
	cfg := s.oauthConfig("app", xoauth2.AuthStyleInHeader)
	first := s.seed(t, "app")
	_ = refreshWith(t, cfg, first.RefreshToken)
	s.clock.Advance(31 * time.Second)
	_, err := cfg.TokenSource(context.Background(), &xoauth2.Token{RefreshToken: first.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
	var re *xoauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_grant" || re.Response.StatusCode != 400 {
		t.Fatalf("reuse after the grace: %v", err)
	}
	if strings.Contains(s.logText(), first.RefreshToken) {
		t.Error("the refresh token reached the log")
	}
	if !strings.Contains(s.logText(), `"reason":"replay"`) {
		t.Error("the log should record the reuse")
	}
	// Widening the scope is invalid_scope (RFC 6749 §6).
	fresh := s.seed(t, "app")
	resp := s.post(t, oauth2.TokenPath, "app", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fresh.RefreshToken}, "scope": {"accounts:read payments"}})
	goldenfile.Check(t, "refresh_error_scope_widened", render(t, resp))
	resp = s.post(t, oauth2.TokenPath, "app", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}})
	goldenfile.Check(t, "refresh_error_invalid_grant", render(t, resp))
	resp = s.post(t, oauth2.TokenPath, "app", url.Values{"grant_type": {"refresh_token"}})
	goldenfile.Check(t, "refresh_error_missing_refresh_token", render(t, resp))
}

// TestRevocationOverHTTP: revoking a refresh token makes its access tokens inactive;
// another client's token and unknown tokens are answered 200 and change nothing.
func TestRevocationOverHTTP(t *testing.T) {
	s := newTokenServer(t)
	cfg := s.oauthConfig("app", xoauth2.AuthStyleInHeader)
	first := s.seed(t, "app")
	second := refreshWith(t, cfg, first.RefreshToken)
	other := s.seed(t, "app")

	revoke := func(client, tok, hint string) {
		t.Helper()
		form := url.Values{"token": {tok}}
		if hint != "" {
			form.Set("token_type_hint", hint)
		}
		resp := s.post(t, oauth2.RevokePath, client, form)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("revocation answered %d", resp.StatusCode)
		}
	}
	// Another client of the same institution: 200, nothing revoked, reason logged.
	revoke("other-app", second.RefreshToken, "refresh_token")
	if !s.isActive(t, "app", second.RefreshToken) || !s.isActive(t, "app", second.AccessToken) {
		t.Fatal("another client's revocation took effect")
	}
	if !strings.Contains(s.logText(), `"reason":"wrong_client"`) {
		t.Error("the refused revocation should be logged with reason wrong_client")
	}
	revoke("app", jeton.NewSecret(), "")
	revoke("app", "garbage.jwt.value", "access_token")

	// The owner revokes the refresh token: the family and every access token go.
	revoke("app", second.RefreshToken, "") // no hint needed
	for name, tok := range map[string]string{"first access": first.AccessToken, "second access": second.AccessToken, "refresh": second.RefreshToken} {
		if s.isActive(t, "app", tok) {
			t.Errorf("%s still active after revoking the refresh token", name)
		}
	}
	if _, err := cfg.TokenSource(context.Background(), &xoauth2.Token{RefreshToken: second.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token(); err == nil {
		t.Error("a revoked refresh token still refreshes")
	}
	// Other families are untouched; revoking one access token revokes only it.
	if !s.isActive(t, "app", other.AccessToken) {
		t.Fatal("another family was revoked")
	}
	revoke("app", other.AccessToken, "access_token")
	if s.isActive(t, "app", other.AccessToken) || !s.isActive(t, "app", other.RefreshToken) {
		t.Error("revoking an access token revokes it alone")
	}
	for _, tok := range []string{first.RefreshToken, second.AccessToken, second.RefreshToken, other.AccessToken, other.RefreshToken} {
		if strings.Contains(s.logText(), tok) {
			t.Fatal("a token reached the log")
		}
	}
}

func asRetrieveError(err error, target **xoauth2.RetrieveError) bool {
	return errors.As(err, target)
}

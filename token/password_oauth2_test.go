package token_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	xoauth2 "golang.org/x/oauth2"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/oauth2"
	"github.com/jeton/jeton/httpapi"
	"github.com/jeton/jeton/token"
)

// TestPasswordThroughOAuth2Client drives the password grant with golang.org/x/oauth2
// (Config.PasswordCredentialsToken, RFC 6749 §4.3.2) against the standard dialect over
// the real engine, as a client library in the wild would.
func TestPasswordThroughOAuth2Client(t *testing.T) {
	f := newPasswordFixture(t, pwOptions{pool: token.HashPoolConfig{Workers: 1, Queue: 1}})
	d, err := oauth2.New(oauth2.Config{Engine: f.engine, Issuer: "https://as.example", JWKS: f.keys.JWKS, JWKSMaxAge: 300,
		AuthMethods: []jeton.AuthMethod{jeton.AuthSecretBasic}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Logger: slog.New(slog.DiscardHandler),
		Ready: func(context.Context) error { return nil }, Mounts: []httpapi.Mount{{Dialect: d}}}))
	t.Cleanup(srv.Close)
	ctx := context.WithValue(context.Background(), xoauth2.HTTPClient, srv.Client())
	conf := func(client string) *xoauth2.Config {
		return &xoauth2.Config{ClientID: client, ClientSecret: appSecret, Scopes: []string{"accounts", "payments"},
			Endpoint: xoauth2.Endpoint{TokenURL: srv.URL + oauth2.TokenPath, AuthStyle: xoauth2.AuthStyleInHeader}}
	}

	tok, err := conf("app").PasswordCredentialsToken(ctx, "alice", alicePassword)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwtClaims(t, tok.AccessToken)
	if tok.TokenType != "Bearer" || claims["sub"] != f.alice.ID || claims["institution_id"] != "bank-a" ||
		claims["scope"] != "accounts payments" || tok.RefreshToken == "" {
		t.Fatalf("token %+v, claims %v", tok, claims)
	}
	if tok, err := conf("app-no-refresh").PasswordCredentialsToken(ctx, "alice", alicePassword); err != nil || tok.RefreshToken != "" {
		t.Fatalf("client without refresh_token: %v, refresh token %q", err, tok.RefreshToken)
	}

	retrieveError := func(t *testing.T, err error) *xoauth2.RetrieveError {
		t.Helper()
		var re *xoauth2.RetrieveError
		if !errors.As(err, &re) {
			t.Fatalf("err = %v; want a token endpoint error", err)
		}
		return re
	}
	// Every refusal concerning the customer is byte-for-byte the same answer.
	var refusal []byte
	for _, tc := range []struct{ name, username, password string }{
		{"wrong password", "alice", "a wrong password"},
		{"unknown user", "mallory", "a wrong password"},
		{"disabled customer", "dave", "dave's long password"},
		{"other institution's customer", "carol", "carol's long password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conf("app").PasswordCredentialsToken(ctx, tc.username, tc.password)
			re := retrieveError(t, err)
			if re.Response.StatusCode != 400 || re.ErrorCode != "invalid_grant" || re.ErrorDescription != "invalid username or password" {
				t.Fatalf("answer %d %s: %s", re.Response.StatusCode, re.ErrorCode, re.Body)
			}
			if refusal == nil {
				refusal = re.Body
			} else if string(re.Body) != string(refusal) {
				t.Fatalf("answer %s differs from %s", re.Body, refusal)
			}
		})
	}
	t.Run("10 KiB password", func(t *testing.T) {
		// Refused by the dialect's field bound (8 KiB) before the engine sees it.
		_, err := conf("app").PasswordCredentialsToken(ctx, "alice", strings.Repeat("p", 10<<10))
		if re := retrieveError(t, err); re.Response.StatusCode != 400 || re.ErrorCode != "invalid_request" {
			t.Fatalf("answer %d %s", re.Response.StatusCode, re.Body)
		}
	})
	t.Run("empty password", func(t *testing.T) {
		_, err := conf("app").PasswordCredentialsToken(ctx, "alice", "")
		if re := retrieveError(t, err); re.Response.StatusCode != 400 || re.ErrorCode != "invalid_request" {
			t.Fatalf("answer %d %s", re.Response.StatusCode, re.Body)
		}
	})
	t.Run("disabled client", func(t *testing.T) {
		_, err := conf("disabled-app").PasswordCredentialsToken(ctx, "alice", alicePassword)
		re := retrieveError(t, err)
		if re.Response.StatusCode != 401 || re.ErrorCode != "invalid_client" || re.Response.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("answer %d %s", re.Response.StatusCode, re.Body)
		}
	})

	t.Run("overloaded", func(t *testing.T) {
		b := blockPool(t, f.pool)
		results := make(chan error, 2)
		for range 2 { // one holds the only worker, one waits in the queue of one
			go func() {
				_, err := conf("app").PasswordCredentialsToken(ctx, "alice", alicePassword)
				results <- err
			}()
			recv(t, b.admitted, "admission")
		}
		_, err := conf("app").PasswordCredentialsToken(ctx, "alice", alicePassword)
		re := retrieveError(t, err)
		if re.Response.StatusCode != 503 || re.ErrorCode != "temporarily_unavailable" || re.Response.Header.Get("Retry-After") != "1" {
			t.Fatalf("answer %d Retry-After %q: %s", re.Response.StatusCode, re.Response.Header.Get("Retry-After"), re.Body)
		}
		close(b.release)
		for range 2 {
			if err := recv(t, results, "answer"); err != nil {
				t.Fatalf("admitted request: %v", err)
			}
		}
	})
}

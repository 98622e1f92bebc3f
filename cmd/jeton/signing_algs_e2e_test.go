package main

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton/adminapi"
)

// TestEverySigningAlgEndToEnd: a client may be registered with any signing alg the
// admin API accepts, and from the first start of a fresh server its tokens are issued
// (not a 500), verify against the JWKS, and introspect as active.
func TestEverySigningAlgEndToEnd(t *testing.T) {
	s := startServer(t)
	for _, alg := range []string{"ES256", "RS256", "PS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			c := s.newClient(t, adminapi.ClientInput{SigningAlg: alg, Scopes: []string{"accounts:read"}})
			st, body := postForm(t, s.public+"/oauth2/token", "grant_type=client_credentials", c.ClientID, c.ClientSecret)
			if st != 200 {
				t.Fatalf("token: HTTP %d %s", st, body)
			}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.Unmarshal(body, &tok); err != nil {
				t.Fatal(err)
			}
			claims := verifyAccessToken(t, tok.AccessToken, fetchJWKS(t, s.public), jose.SignatureAlgorithm(alg))
			st, body = postForm(t, s.public+"/oauth2/introspect", "token="+url.QueryEscape(tok.AccessToken), c.ClientID, c.ClientSecret)
			var in struct {
				Active   bool   `json:"active"`
				ClientID string `json:"client_id"`
				JTI      string `json:"jti"`
			}
			if err := json.Unmarshal(body, &in); err != nil || st != 200 || !in.Active || in.ClientID != c.ClientID || in.JTI != claims.ID {
				t.Fatalf("introspection: HTTP %d %s", st, body)
			}
		})
	}
}

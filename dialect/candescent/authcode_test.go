package candescent_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jeton/jeton/dialect/candescent"
	"github.com/jeton/jeton/internal/goldenfile"
)

// mintCall is a /v1/auth-code request by the partner with its client_credentials token.
func (e *endpoint) mintCall(t *testing.T, body string, h map[string]string) call {
	t.Helper()
	bearer := e.token(t, call{body: "grant_type=client_credentials"}).AccessToken
	hh := map[string]string{"Authorization": "Bearer " + bearer}
	for k, v := range h {
		hh[k] = v
	}
	return call{path: candescent.AuthCodePath, body: body, headers: hh}
}

// mint returns a fresh code for alice and oidc-app.
func (e *endpoint) mint(t *testing.T, scopes string) string {
	t.Helper()
	resp := e.do(t, e.mintCall(t, "client_id=oidc-app&username=alice&nonce=n-0S6&requested_scopes="+url.QueryEscape(scopes), nil))
	defer resp.Body.Close()
	var out struct{ Code, RedirectURI string }
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("auth-code status %d", resp.StatusCode)
	}
	must(t, json.NewDecoder(resp.Body).Decode(&out))
	return out.Code
}

func exchange(code string) call {
	return call{body: "grant_type=authorization_code&code=" + url.QueryEscape(code),
		headers: map[string]string{"Authorization": basic("oidc-app", secret)}}
}

func TestAuthCodeGolden(t *testing.T) {
	e := newEndpoint(t)
	const ok = "client_id=oidc-app&username=alice&requested_scopes=openid,profile,offline_access&nonce=n-0S6"
	tests := []struct {
		golden string
		call   call
	}{
		{"ok", e.mintCall(t, ok, nil)},
		{"ok_institution_user_id", e.mintCall(t, ok+"&institution_user_id=cust-alice", nil)},
		{"error_self", e.mintCall(t, "client_id=partner&username=alice", nil)},
		{"error_not_linked", e.mintCall(t, "client_id=unlinked-app&username=alice", nil)},
		{"error_unknown_user", e.mintCall(t, "client_id=oidc-app&username=mallory", nil)},
		{"error_locked_user", e.mintCall(t, "client_id=oidc-app&username=lucy", nil)},
		{"error_missing_username", e.mintCall(t, "client_id=oidc-app", nil)},
		{"error_institution_user_id", e.mintCall(t, ok+"&institution_user_id=someone-else", nil)},
		{"error_scope", e.mintCall(t, "client_id=oidc-app&username=alice&requested_scopes=openid,payments", nil)},
		{"error_no_bearer", call{path: candescent.AuthCodePath, body: ok, headers: map[string]string{"Authorization": ""}}},
		{"error_json_body", e.mintCall(t, `{"client_id":"oidc-app"}`, map[string]string{"Content-Type": "application/json"})},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			goldenfile.Check(t, "auth_code_"+tt.golden, render(t, e.do(t, tt.call)))
		})
	}
}

// TestAuthorizationCodeGolden: the exchange by the authorized app, and the bad inputs
// of the authorization_code grant.
func TestAuthorizationCodeGolden(t *testing.T) {
	e := newEndpoint(t)
	offline := e.mint(t, "openid,profile,offline_access")
	online := e.mint(t, "openid,profile")
	stolen := e.mint(t, "openid")
	tests := []struct {
		golden string
		call   call
	}{
		{"ok_offline_access", exchange(offline)},
		{"ok_without_offline_access", exchange(online)},
		{"error_replayed", exchange(offline)},
		{"error_bad_code", exchange("not-a-code")},
		{"error_missing_code", call{body: "grant_type=authorization_code", headers: map[string]string{"Authorization": basic("oidc-app", secret)}}},
		{"error_code_of_another_client", call{body: "grant_type=authorization_code&code=" + url.QueryEscape(stolen),
			headers: map[string]string{"Authorization": basic("unlinked-app", secret)}}},
		{"error_grant_not_enabled", call{body: "grant_type=authorization_code&code=x"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			goldenfile.Check(t, "token_authorization_code_"+tt.golden, render(t, e.do(t, tt.call)))
		})
	}
}

// TestCodeIsSingleUseAndBound: a code exchanged once cannot be exchanged again, and a
// code minted for one app is refused to another app even with valid credentials.
func TestCodeIsSingleUseAndBound(t *testing.T) {
	e := newEndpoint(t)
	code := e.mint(t, "openid,offline_access")
	first := e.token(t, exchange(code))
	if first.IDToken == "" || first.RefreshToken == "" {
		t.Fatalf("first exchange %+v", first)
	}
	resp := e.do(t, exchange(code))
	if got := render(t, resp); !strings.Contains(got, "CMN_90018") {
		t.Fatalf("second exchange answered\n%s", got)
	}
	// RFC 6749 §4.1.2: the replay revoked what the first exchange issued.
	if info, err := e.intro.Bearer(t.Context(), first.AccessToken); err != nil || info.Active {
		t.Fatalf("access token of a replayed code still active: %+v, %v", info, err)
	}
}

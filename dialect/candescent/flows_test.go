package candescent_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jeton/jeton/dialect/candescent"
	"github.com/jeton/jeton/internal/goldenfile"
)

// tokenAnswer decodes a V2 success; expires_in must be a JSON number.
type tokenAnswer struct {
	AccessToken           string `json:"access_token"`
	ExpiresIn             int64  `json:"expires_in"`
	TokenType             string `json:"token_type"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	IDToken               string `json:"id_token"`
}

func (e *endpoint) token(t *testing.T, c call) tokenAnswer {
	t.Helper()
	resp := e.do(t, c)
	defer resp.Body.Close()
	var a tokenAnswer
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	must(t, json.NewDecoder(resp.Body).Decode(&a))
	return a
}

func passwordBody() string {
	return "grant_type=password&username=alice&password=" + url.QueryEscape(alicePW)
}

func TestRefreshGolden(t *testing.T) {
	e := newEndpoint(t)
	first := e.token(t, call{body: passwordBody()})
	// The refresh token carries the FI: institutionId is optional.
	resp := e.do(t, call{body: "grant_type=refresh_token&refresh_token=" + url.QueryEscape(first.RefreshToken),
		headers: map[string]string{"institutionId": ""}})
	goldenfile.Check(t, "token_refresh_ok", render(t, resp))
}

// TestRevokeRefreshDeactivatesItsAccessTokens: DELETE revoke of a refresh token
// revokes its family, and with it every access token issued from it.
func TestRevokeRefreshDeactivatesItsAccessTokens(t *testing.T) {
	e := newEndpoint(t)
	first := e.token(t, call{body: passwordBody()})
	second := e.token(t, call{body: "grant_type=refresh_token&refresh_token=" + url.QueryEscape(first.RefreshToken)})
	for _, at := range []string{first.AccessToken, second.AccessToken} {
		if info, err := e.intro.Bearer(t.Context(), at); err != nil || !info.Active {
			t.Fatalf("before revoke: %+v, %v", info, err)
		}
	}
	resp := e.do(t, call{method: http.MethodDelete, path: candescent.RevokePath,
		body: "token=" + url.QueryEscape(second.RefreshToken)})
	goldenfile.Check(t, "revoke_ok_refresh_token", render(t, resp))
	for _, at := range []string{first.AccessToken, second.AccessToken} {
		if info, err := e.intro.Bearer(t.Context(), at); err != nil || info.Active {
			t.Fatalf("after revoke: access token still active (%+v, %v)", info, err)
		}
	}
	resp = e.do(t, call{body: "grant_type=refresh_token&refresh_token=" + url.QueryEscape(second.RefreshToken)})
	if got := render(t, resp); !strings.Contains(got, "CMN_90018") {
		t.Fatalf("refresh after revoke answered\n%s", got)
	}
}

// TestRevokeOtherClientsTokenChangesNothing: RFC 7009 §2.2, 204 and nothing revoked.
func TestRevokeOtherClientsTokenChangesNothing(t *testing.T) {
	e := newEndpoint(t)
	a := e.token(t, call{body: "grant_type=client_credentials"})
	resp := e.do(t, call{method: http.MethodDelete, path: candescent.RevokePath, body: "token=" + url.QueryEscape(a.AccessToken),
		headers: map[string]string{"Authorization": basic("machine", secret)}})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp.Body.Close()
	if info, err := e.intro.Bearer(t.Context(), a.AccessToken); err != nil || !info.Active {
		t.Fatalf("another client's revoke deactivated the token: %+v, %v", info, err)
	}
	resp = e.do(t, call{method: http.MethodDelete, path: candescent.RevokePath, body: "token=" + url.QueryEscape(a.AccessToken)})
	resp.Body.Close()
	if info, err := e.intro.Bearer(t.Context(), a.AccessToken); err != nil || info.Active {
		t.Fatalf("own revoke left the token active: %+v, %v", info, err)
	}
}

func TestClientAuthorizationGolden(t *testing.T) {
	e := newEndpoint(t)
	partner := e.token(t, call{body: "grant_type=client_credentials"}).AccessToken
	other := e.token(t, call{body: "grant_type=client_credentials", headers: map[string]string{"institutionId": otherFI}}).AccessToken
	customer := e.token(t, call{body: passwordBody()}).AccessToken
	mint := func(body, bearer string, h map[string]string) call {
		hh := map[string]string{"Authorization": "Bearer " + bearer}
		for k, v := range h {
			hh[k] = v
		}
		return call{path: candescent.ClientAuthorizationPath, body: body, headers: hh}
	}
	tests := []struct {
		golden string
		call   call
	}{
		{"ok", mint("client_id=oidc-app", partner, nil)},
		{"ok_alias", mint("client_id=oidc-app", partner, map[string]string{"institutionId": alias})},
		{"error_self", mint("client_id=partner", partner, nil)},
		{"error_not_linked", mint("client_id=unlinked-app", partner, nil)},
		{"error_unknown_client", mint("client_id=ghost", partner, nil)},
		{"error_missing_client_id", mint("", partner, nil)},
		{"error_no_bearer", mint("client_id=oidc-app", "", map[string]string{"Authorization": ""})},
		{"error_basic_instead_of_bearer", mint("client_id=oidc-app", "", map[string]string{"Authorization": basic("partner", secret)})},
		{"error_bad_bearer", mint("client_id=oidc-app", "not-a-token", nil)},
		{"error_customer_token", mint("client_id=oidc-app", customer, nil)},
		{"error_token_of_other_fi", mint("client_id=oidc-app", other, nil)},
		{"error_institution_missing", mint("client_id=oidc-app", partner, map[string]string{"institutionId": ""})},
		{"error_transaction_missing", mint("client_id=oidc-app", partner, map[string]string{"transactionId": ""})},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			goldenfile.Check(t, "client_authorization_"+tt.golden, render(t, e.do(t, tt.call)))
		})
	}
}

// TestTransactionIDEchoSpelling reads the raw answer: the echoed header is spelt
// transactionId, as Candescent's clients see it from Candescent.
func TestTransactionIDEchoSpelling(t *testing.T) {
	e := newEndpoint(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	must(t, err)
	defer conn.Close()
	body := "grant_type=client_credentials"
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: %s\r\n"+
		"transactionId: %s\r\ninstitutionId: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		e.prefix+candescent.TokenPath, basic("partner", secret), txID, fi, len(body), body)
	raw, err := io.ReadAll(conn)
	must(t, err)
	if !strings.HasPrefix(string(raw), "HTTP/1.1 200") || !strings.Contains(string(raw), "\r\ntransactionId: "+txID+"\r\n") {
		t.Fatalf("raw answer:\n%s", raw)
	}
}

package candescent_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jeton/jeton/dialect/candescent"
	"github.com/jeton/jeton/internal/goldenfile"
)

// TestTokenGolden pins every answer of the V2 token endpoint: each success shape and
// each bad input of the issue, with its CMN code and status.
func TestTokenGolden(t *testing.T) {
	e := newEndpoint(t)
	cc := "grant_type=client_credentials"
	pw := "grant_type=password&username=alice&password=" + strings.ReplaceAll(alicePW, " ", "+")
	noHeader := func(name string) map[string]string { return map[string]string{name: ""} }
	tests := []struct {
		golden string
		call   call
	}{
		{"cc_ok", call{body: cc}},
		{"cc_ok_alias", call{body: cc, headers: map[string]string{"institutionId": alias}}},
		{"cc_ok_other_fi", call{body: cc + "&scope=accounts,openid", headers: map[string]string{"institutionId": otherFI}}},
		{"password_ok", call{body: pw}},
		{"error_transaction_missing", call{body: cc, headers: noHeader("transactionId")}},
		{"error_transaction_invalid", call{body: cc, headers: map[string]string{"transactionId": "not-a-uuid"}}},
		{"error_institution_missing_client_credentials", call{body: cc, headers: noHeader("institutionId")}},
		{"error_institution_missing_password", call{body: pw, headers: noHeader("institutionId")}},
		{"error_institution_missing_authorization_code", call{body: "grant_type=authorization_code&code=x", headers: noHeader("institutionId")}},
		{"error_institution_not_enabled", call{body: cc, headers: map[string]string{"institutionId": strange}}},
		{"error_institution_unknown", call{body: cc, headers: map[string]string{"institutionId": "no-such-fi"}}},
		{"error_json_body", call{body: `{"grant_type":"client_credentials"}`, contentType: "application/json"}},
		{"error_unknown_grant", call{body: "grant_type=urn:example:unknown"}},
		{"error_missing_grant", call{body: "scope=accounts"}},
		{"error_password_missing_username", call{body: "grant_type=password&password=x"}},
		{"error_password_missing_password", call{body: "grant_type=password&username=alice"}},
		{"error_password_wrong", call{body: "grant_type=password&username=alice&password=wrong+password"}},
		{"error_password_unknown_user", call{body: "grant_type=password&username=mallory&password=wrong+password"}},
		{"error_password_locked", call{body: "grant_type=password&username=lucy&password=lucy%27s+long+password"}},
		{"error_non_printable", call{body: "grant_type=password&username=al%01ice&password=x"}},
		{"error_bad_refresh_token", call{body: "grant_type=refresh_token&refresh_token=not-a-token"}},
		{"error_grant_not_enabled", call{body: pw, headers: map[string]string{"Authorization": basic("machine", secret)}}},
		{"error_invalid_client", call{body: cc, headers: map[string]string{"Authorization": basic("partner", "wrong")}}},
		{"error_client_disabled", call{body: cc, headers: map[string]string{"Authorization": basic("dormant", secret)}}},
		{"error_client_disabled_wrong_secret", call{body: cc, headers: map[string]string{"Authorization": basic("dormant", "wrong")}}},
		{"error_no_client_credentials", call{body: cc, headers: noHeader("Authorization")}},
		{"error_scope", call{body: cc + "&scope=payments"}},
		{"error_duplicate_parameter", call{body: cc + "&" + cc}},
		{"error_method", call{method: http.MethodGet}},
		{"error_outside_hours", call{body: cc, headers: map[string]string{"institutionId": closedFI}}},
		{"error_institution_twice", call{body: cc, twice: "institutionId"}},
		{"error_transaction_twice", call{body: cc, twice: "transactionId"}},
		{"error_authorization_twice", call{body: cc, twice: "Authorization"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			goldenfile.Check(t, "token_"+tt.golden, render(t, e.do(t, tt.call)))
		})
	}
}

// TestUnknownUserAnswersLikeWrongPassword: the password grant's refusals can't be told
// apart, so usernames can't be probed (CMN_90015 for both).
func TestUnknownUserAnswersLikeWrongPassword(t *testing.T) {
	e := newEndpoint(t)
	wrong := render(t, e.do(t, call{body: "grant_type=password&username=alice&password=wrong+password"}))
	unknown := render(t, e.do(t, call{body: "grant_type=password&username=mallory&password=wrong+password"}))
	if wrong != unknown || !strings.Contains(wrong, `"CMN_90015"`) {
		t.Fatalf("wrong password answered\n%s\nunknown user answered\n%s", wrong, unknown)
	}
}

func TestRevokeGolden(t *testing.T) {
	e := newEndpoint(t)
	del := func(body string, h map[string]string) call {
		return call{method: http.MethodDelete, path: candescent.RevokePath, body: body, headers: h}
	}
	tests := []struct {
		golden string
		call   call
	}{
		{"ok_unknown_token", del("token=not-a-token", nil)},
		{"error_transaction_missing", del("token=x", map[string]string{"transactionId": ""})},
		{"error_missing_token", del("", nil)},
		{"error_invalid_client", del("token=x", map[string]string{"Authorization": basic("partner", "wrong")})},
		{"error_method", call{method: http.MethodPost, path: candescent.RevokePath, body: "token=x"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			goldenfile.Check(t, "revoke_"+tt.golden, render(t, e.do(t, tt.call)))
		})
	}
}

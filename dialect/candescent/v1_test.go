package candescent_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton/dialect/candescent"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
	"github.com/jeton/jeton/internal/goldenfile"
)

// v1 is a legacy request: di_tid and di_fiid in place of transactionId and
// institutionId.
func v1(body string, h map[string]string) call {
	hh := map[string]string{"transactionId": "", "institutionId": "", "di_tid": txID, "di_fiid": alias}
	for k, v := range h {
		hh[k] = v
	}
	return call{path: candescent.V1TokenPath, body: body, headers: hh}
}

func TestV1Golden(t *testing.T) {
	e := newEndpoint(t)
	pw := "username=alice&password=" + url.QueryEscape(alicePW)
	tests := []struct {
		golden string
		call   call
	}{
		{"ok_password_default_grant", v1(pw, nil)},
		{"ok_client_credentials", v1("grant_type=client_credentials", map[string]string{"di_fiid": fi})},
		{"error_missing_di_tid", v1(pw, map[string]string{"di_tid": ""})},
		{"error_missing_di_fiid", v1(pw, map[string]string{"di_fiid": ""})},
		{"error_malformed_body", v1("username=%zz", nil)},
		{"error_xml_body", call{path: candescent.V1TokenPath, body: "<login/>", contentType: "application/xml",
			headers: map[string]string{"transactionId": "", "di_tid": txID, "di_fiid": alias}}},
		{"error_disabled_for_fi", v1(pw, map[string]string{"di_fiid": otherFI})},
		{"error_wrong_password", v1("username=alice&password=wrong", nil)},
		{"error_invalid_client", v1(pw, map[string]string{"Authorization": basic("partner", "wrong")})},
		{"error_grant_type", v1("grant_type=refresh_token&refresh_token=x", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			goldenfile.Check(t, "v1_"+tt.golden, render(t, e.do(t, tt.call)))
		})
	}
}

// v1TokenXML is the legacy answer as a client reads it.
type v1TokenXML struct {
	XMLName               xml.Name `xml:"token"`
	AccessToken           string   `xml:"access_token"`
	ExpiresIn             int64    `xml:"expires_in"`
	RefreshToken          string   `xml:"refresh_token"`
	RefreshTokenExpiresIn int64    `xml:"refresh_token_expires_in"`
	FIID                  string   `xml:"di_fiid"`
	FICustomer            string   `xml:"di_ficustomer"`
	MemberNumber          string   `xml:"di_member_number"`
}

type v1StatusXML struct {
	XMLName       xml.Name `xml:"Status"`
	StatusMessage string   `xml:"statusMessage"`
	ErrorInfo     struct {
		ErrorType    string `xml:"errorType"`
		ErrorCode    string `xml:"errorCode"`
		ErrorMessage string `xml:"errorMessage"`
	} `xml:"errorInfo"`
}

func readXML(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Fatalf("Content-Type %q", ct)
	}
	if err := xml.Unmarshal(b, v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
}

// TestV1PasswordXML parses the legacy answer with encoding/xml: a 30-minute token for
// the customer, the FI as the client named it, the member number from the customer's
// claims, and an access token the introspector accepts.
func TestV1PasswordXML(t *testing.T) {
	e := newEndpoint(t)
	resp := e.do(t, v1("username=alice&password="+url.QueryEscape(alicePW), nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var tok v1TokenXML
	readXML(t, resp, &tok)
	if tok.ExpiresIn != int64(candescent.DefaultV1TTL/time.Second) || tok.FIID != alias || tok.FICustomer != e.alice.ID ||
		tok.MemberNumber != "M-1001" || tok.RefreshToken == "" || tok.RefreshTokenExpiresIn <= 0 {
		t.Fatalf("answer %+v", tok)
	}
	info, err := e.intro.Bearer(t.Context(), tok.AccessToken)
	if err != nil || !info.Active || info.Subject != e.alice.ID || info.InstitutionID != fi ||
		info.ExpiresAt.Sub(info.IssuedAt) != candescent.DefaultV1TTL {
		t.Fatalf("introspection %+v, %v", info, err)
	}
}

func TestV1ErrorsXML(t *testing.T) {
	e := newEndpoint(t)
	for _, tc := range []struct {
		name      string
		call      call
		status    int
		typ, code string
	}{
		{"no di_tid", v1("username=alice&password=x", map[string]string{"di_tid": ""}), 400, "APP_ERROR", "CMN_90008"},
		{"malformed body", v1("username=%zz", nil), 400, "APP_ERROR", "CMN_90011"},
		{"wrong password", v1("username=alice&password=wrong", nil), 401, "USER_ERROR", "CMN_90015"},
		{"off for the FI", v1("username=alice&password=x", map[string]string{"di_fiid": otherFI}), 400, "APP_ERROR", "CMN_90005"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, tc.call)
			var st v1StatusXML
			readXML(t, resp, &st)
			if resp.StatusCode != tc.status || st.ErrorInfo.ErrorType != tc.typ || st.ErrorInfo.ErrorCode != tc.code ||
				st.ErrorInfo.ErrorMessage == "" || st.StatusMessage == "" {
				t.Fatalf("status %d, %+v", resp.StatusCode, st)
			}
		})
	}
}

// TestV1SwitchedOnPerFI: the legacy endpoint answers for an FI only once an admin
// turned it on.
func TestV1SwitchedOnPerFI(t *testing.T) {
	e := newEndpoint(t)
	c := v1("grant_type=client_credentials", map[string]string{"di_fiid": otherFI})
	if resp := e.do(t, c); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("V1 off: status %d", resp.StatusCode)
	}
	must(t, e.store.PutCandescentSettings(t.Context(), candescentstore.Settings{InstitutionID: otherFI, V1Enabled: true, UpdatedAt: time.Now()}))
	resp := e.do(t, c)
	var tok v1TokenXML
	readXML(t, resp, &tok)
	if resp.StatusCode != http.StatusOK || tok.FIID != otherFI || tok.FICustomer != "" {
		t.Fatalf("V1 on: status %d, %+v", resp.StatusCode, tok)
	}
}

package cardcore_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton/dialect/cardcore"
	"github.com/jeton/jeton/internal/goldenfile"
)

// tokenData is the success answer's data.
type tokenData struct {
	AccessToken, RefreshToken, InstitutionID, TokenType string
	Institution, InstitutionUser, InstitutionOauth      string
	ExpiresIn                                           int64
}

func (a answer) data(t *testing.T) tokenData {
	t.Helper()
	var d tokenData
	if err := json.Unmarshal(a.env.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTokenSuccessGolden: client_credentials answers with a refresh token, and the
// refresh_token grant (the assertion required there too) without one.
func TestTokenSuccessGolden(t *testing.T) {
	e := newEndpoint(t)
	a := e.createApp(t, e.keyA, testRSAKey(t), certPEM(t, testRSAKey(t), "fintech.example"))
	cc := e.call(t, request{body: tokenBody(ccBody(a, sign(t, a.key, jose.RS256, e.claims(a))))})
	d := cc.data(t)
	if d.RefreshToken == "" || d.InstitutionID != a.appKey || d.Institution != a.instRec || d.InstitutionOauth != a.recordID || d.InstitutionUser != a.createdBy {
		t.Fatalf("client_credentials data %+v for app %+v", d, a)
	}
	masks := a.masks()
	masks[d.AccessToken], masks[d.RefreshToken], masks[d.InstitutionUser] = "accessToken", "refreshToken", "institutionUser"
	goldenfile.Check(t, "token_client_credentials", cc.render(masks))

	e.clock.Advance(time.Second) // a new assertion (no jti: its digest is single-use)
	body := ccBody(a, sign(t, a.key, jose.RS256, e.claims(a)))
	body["grant_type"], body["refresh_token"] = "refresh_token", d.RefreshToken
	rt := e.call(t, request{body: tokenBody(body)})
	d2 := rt.data(t)
	if strings.Contains(rt.raw, "refreshToken") || d2.AccessToken == "" || d2.AccessToken == d.AccessToken {
		t.Fatalf("refresh answer %s", rt.raw)
	}
	masks[d2.AccessToken] = "accessToken"
	goldenfile.Check(t, "token_refresh_token", rt.render(masks))

	// Without rotation the one refresh token keeps working, as CardCore clients expect.
	e.clock.Advance(time.Second)
	body["client_assertion"] = sign(t, a.key, jose.RS256, e.claims(a))
	if again := e.call(t, request{body: tokenBody(body)}); again.status != http.StatusOK {
		t.Fatalf("second refresh: %s", again.raw)
	}
}

// TestTokenErrorsGolden: every bad input of the issue, answered in the envelope.
func TestTokenErrorsGolden(t *testing.T) {
	e := newEndpoint(t)
	a := e.createApp(t, e.keyA, testRSAKey(t), certPEM(t, testRSAKey(t), "fintech.example"))
	ec := newECKey(t)
	b := e.createApp(t, e.keyB, ec, publicPEM(t, ec))
	doomed := e.createApp(t, e.keyA, testRSAKey(t), publicPEM(t, testRSAKey(t)))
	if del := e.call(t, request{method: http.MethodDelete, path: "/institutions/oauth/" + doomed.appKey, key: e.keyA}); del.status != 200 {
		t.Fatalf("delete: %s", del.raw)
	}

	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := func() string { e.clock.Advance(time.Second); return sign(t, a.key, jose.RS256, e.claims(a)) }
	with := func(edit func(m map[string]any)) string {
		m := ccBody(a, good())
		edit(m)
		return tokenBody(m)
	}
	claimsWith := func(edit func(c map[string]any)) string {
		e.clock.Advance(time.Second)
		c := e.claims(a)
		edit(c)
		return with(func(m map[string]any) { m["client_assertion"] = sign(t, a.key, jose.RS256, c) })
	}
	now := func() int64 { return e.clock.Now().Unix() }
	// b's refresh token, to present as a.
	e.clock.Advance(time.Second)
	bTok := e.call(t, request{body: tokenBody(ccBody(b, sign(t, b.key, jose.ES256, e.claims(b))))}).data(t).RefreshToken
	replayed := good()
	if first := e.call(t, request{body: with(func(m map[string]any) { m["client_assertion"] = replayed })}); first.status != 200 {
		t.Fatalf("first use: %s", first.raw)
	}
	jtiClaims := e.claims(a)
	jtiClaims["jti"] = "once-only"
	withJTI := sign(t, a.key, jose.RS256, jtiClaims)
	if first := e.call(t, request{body: with(func(m map[string]any) { m["client_assertion"] = withJTI })}); first.status != 200 {
		t.Fatalf("first use of jti: %s", first.raw)
	}

	tests := []struct {
		golden string
		req    request
	}{
		{"error_not_json", request{body: "grant_type=client_credentials"}},
		{"error_json_array", request{body: `[1,2]`}},
		{"error_content_type", request{body: with(func(map[string]any) {}), contentType: "application/x-www-form-urlencoded"}},
		{"error_method_not_allowed", request{method: http.MethodGet}},
		{"error_body_too_large", request{body: `{"pad":"` + strings.Repeat("x", 70<<10) + `"}`}},
		{"error_institution_id_number", request{body: with(func(m map[string]any) { m["institutionId"] = 5 })}},
		{"error_institution_id_not_hex", request{body: with(func(m map[string]any) { m["institutionId"] = "not-a-key" })}},
		{"error_client_assertion_number", request{body: with(func(m map[string]any) { m["client_assertion"] = 5 })}},
		{"error_missing_institution_id", request{body: with(func(m map[string]any) { delete(m, "institutionId") })}},
		{"error_missing_client_assertion_type", request{body: with(func(m map[string]any) { delete(m, "client_assertion_type") })}},
		{"error_missing_client_assertion", request{body: with(func(m map[string]any) { delete(m, "client_assertion") })}},
		{"error_missing_client_id_and_sub", request{body: with(func(m map[string]any) {
			delete(m, "client_id")
			m["client_assertion"] = "not.a.jwt"
		})}},
		{"error_unsupported_grant_type", request{body: with(func(m map[string]any) { m["grant_type"] = "password" })}},
		{"error_wrong_client_assertion_type", request{body: with(func(m map[string]any) {
			m["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
		})}},
		{"error_other_institutions_application", request{body: with(func(m map[string]any) { m["institutionId"] = b.appKey })}},
		{"error_unknown_client", request{body: with(func(m map[string]any) { m["client_id"] = "no-such-client" })}},
		{"error_client_id_not_sub", request{body: with(func(m map[string]any) { m["client_id"] = b.clientID; m["institutionId"] = b.appKey })}},
		{"error_expired", request{body: claimsWith(func(c map[string]any) { c["iat"], c["exp"] = now()-600, now()-300 })}},
		{"error_future_iat", request{body: claimsWith(func(c map[string]any) { c["iat"], c["exp"] = now()+600, now()+900 })}},
		{"error_over_long", request{body: claimsWith(func(c map[string]any) { c["exp"] = now() + 2*3600 })}},
		{"error_no_exp", request{body: claimsWith(func(c map[string]any) { delete(c, "exp") })}},
		{"error_exp_not_numeric", request{body: claimsWith(func(c map[string]any) { c["exp"] = "tomorrow" })}},
		{"error_wrong_iss", request{body: claimsWith(func(c map[string]any) { c["iss"] = a.clientID })}},
		{"error_wrong_aud", request{body: claimsWith(func(c map[string]any) { c["aud"] = "https://elsewhere.example" })}},
		{"error_replayed", request{body: with(func(m map[string]any) { m["client_assertion"] = replayed })}},
		// The same claims signed anew (PS256 signatures are randomized, and the header
		// differs): the same jti and exp, so the same assertion (jeton.AssertionStore).
		{"error_replayed_jti", request{body: with(func(m map[string]any) { m["client_assertion"] = sign(t, a.key, jose.PS256, jtiClaims) })}},
		{"error_alg_none", request{body: with(func(m map[string]any) { m["client_assertion"] = unsigned(e.claims(a), "none", nil) })}},
		{"error_hs256", request{body: with(func(m map[string]any) {
			m["client_assertion"] = unsigned(e.claims(a), "HS256", []byte(publicPEM(t, a.key)))
		})}},
		{"error_wrong_key", request{body: with(func(m map[string]any) {
			m["client_assertion"] = sign(t, otherRSA, jose.RS256, e.claims(a))
		})}},
		{"error_wrong_key_type", request{body: with(func(m map[string]any) {
			m["client_assertion"] = sign(t, ec, jose.ES256, e.claims(a))
		})}},
		{"error_deleted_application", request{body: with(func(m map[string]any) {
			m["client_id"], m["institutionId"] = doomed.clientID, doomed.appKey
			m["client_assertion"] = sign(t, doomed.key, jose.RS256, e.claims(doomed))
		})}},
		{"error_refresh_token_of_another_application", request{body: with(func(m map[string]any) {
			m["grant_type"], m["refresh_token"] = "refresh_token", bTok
		})}},
		{"error_refresh_token_unknown", request{body: with(func(m map[string]any) {
			m["grant_type"], m["refresh_token"] = "refresh_token", "no-such-token"
		})}},
		{"error_refresh_without_token", request{body: with(func(m map[string]any) { m["grant_type"] = "refresh_token" })}},
		{"error_refresh_without_assertion", request{body: with(func(m map[string]any) {
			m["grant_type"], m["refresh_token"] = "refresh_token", bTok
			delete(m, "client_assertion")
		})}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			goldenfile.Check(t, tt.golden, e.call(t, tt.req).render(a.masks()))
		})
	}
	t.Run("error_outside_working_hours", func(t *testing.T) {
		e.closed = true
		defer func() { e.closed = false }()
		goldenfile.Check(t, "error_outside_working_hours", e.call(t, request{body: with(func(map[string]any) {})}).render(nil))
	})
}

// TestClientIDOptional: one vendor page omits client_id; the assertion's sub names the
// application, which institutionId must then be.
func TestClientIDOptional(t *testing.T) {
	e := newEndpoint(t)
	a := e.createApp(t, e.keyA, testRSAKey(t), certPEM(t, testRSAKey(t), "fintech.example"))
	m := ccBody(a, sign(t, a.key, jose.RS256, e.claims(a)))
	delete(m, "client_id")
	if got := e.call(t, request{body: tokenBody(m)}); got.status != http.StatusOK {
		t.Fatalf("without client_id: %s", got.raw)
	}
	// Mixed-case institutionId is the same key (the vendor's examples mix case).
	e.clock.Advance(time.Second)
	m = ccBody(a, sign(t, a.key, jose.RS256, e.claims(a)))
	m["institutionId"] = strings.ToUpper(a.appKey)
	if got := e.call(t, request{body: tokenBody(m)}); got.status != http.StatusOK {
		t.Fatalf("upper-case institutionId: %s", got.raw)
	}
}

// TestNumericTimesAndPS256: iat/exp as JSON numbers work as well as quoted ones, and
// PS256 works with the same RSA key.
func TestNumericTimesAndPS256(t *testing.T) {
	e := newEndpoint(t)
	a := e.createApp(t, e.keyA, testRSAKey(t), publicPEM(t, testRSAKey(t)))
	c := e.claims(a)
	c["iat"], c["exp"] = e.clock.Now().Unix(), e.clock.Now().Add(time.Minute).Unix()
	if got := e.call(t, request{body: tokenBody(ccBody(a, sign(t, a.key, jose.PS256, c)))}); got.status != http.StatusOK {
		t.Fatalf("numeric times, PS256: %s", got.raw)
	}
}

// TestSignAssertion: the helper behind `jeton assertion sign` makes what the endpoint
// accepts, with the vendor's header and quoted times.
func TestSignAssertion(t *testing.T) {
	e := newEndpoint(t)
	a := e.createApp(t, e.keyA, testRSAKey(t), certPEM(t, testRSAKey(t), "fintech.example"))
	s, err := cardcore.SignAssertion(a.key, a.clientID, website, envAud, e.clock.Now(), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	hdr, _ := base64Decode(strings.Split(s, ".")[0])
	if hdr != `{"alg":"RS256","typ":"JWT"}` {
		t.Errorf("header %s", hdr)
	}
	payload, _ := base64Decode(strings.Split(s, ".")[1])
	if !strings.Contains(payload, `"iat":"`) || !strings.Contains(payload, `"exp":"`) || !strings.Contains(payload, `"jti":"`) {
		t.Errorf("claims %s", payload)
	}
	if got := e.call(t, request{body: tokenBody(ccBody(a, s))}); got.status != http.StatusOK {
		t.Fatalf("signed assertion refused: %s", got.raw)
	}
}

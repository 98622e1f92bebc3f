package cardcore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/dialect/cardcore/cardcorestore"
	"github.com/jeton/jeton/token"
)

// fuzzKeys are PEM public keys and a certificate of the kinds an integrator uploads,
// made once per run.
func fuzzKeys(f *testing.F) (ecPEM, rsaPEM, certPEM string) {
	f.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	pub := func(k any) string {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			f.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fintech.example"},
		NotBefore: time.Unix(1_700_000_000, 0), NotAfter: time.Unix(1_800_000_000, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rk.PublicKey, rk)
	if err != nil {
		f.Fatal(err)
	}
	return pub(&ec.PublicKey), pub(&rk.PublicKey), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// manageRequest is a management POST/PUT with body.
func manageRequest(body string) *http.Request {
	return jsonRequest(CreatePath, body, "application/json")
}

// checkRefusal fails t unless err is a management refusal answered 400 invalid_request
// in the envelope (never a 500).
func checkRefusal(t *testing.T, r *http.Request, err error) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) {
		t.Fatalf("refusal %v (%T) is not the dialect's", err, err)
	}
	w := httptest.NewRecorder()
	writeAPIError(w, r, err)
	checkEnvelope(t, w, []int{http.StatusBadRequest}, []string{"invalid_request"})
}

// FuzzCreateApp: POST /institutions/oauth/create's body is refused with a 400 in the
// envelope, or makes a private_key_jwt client whose registered key the core accepts
// again (clientauth.ParseKeys, the check every assertion's key goes through: RSA of at
// least 2048 bits or EC P-256), whose scopes are RFC 6749 §3.3 scope tokens and whose
// fields re-validate; and the body, encoded again, decodes to the same input.
func FuzzCreateApp(f *testing.F) {
	ecPEM, rsaPEM, certPEM := fuzzKeys(f)
	body := func(key string) string {
		b, _ := json.Marshal(map[string]any{"name": "App", "description": "d", "publicKey": key, "scopes": []string{"READ", "WRITE"},
			"grantType": "client_credentials", "websiteUrl": "https://fintech.example", "iconUrl": "https://fintech.example/i.png", "isOfficial": false})
		return string(b)
	}
	for _, s := range []string{body(ecPEM), body(rsaPEM), body(certPEM), body("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
		`{"name":"x"}`, `{"name":1}`, `{"name":"x","extra":true}`, `{}{}`, `[]`} {
		f.Add(s)
	}
	d := &Dialect{cfg: Config{Now: time.Now, MinRSABits: 2048, AccessTokenTTL: time.Hour, RefreshTokenTTL: 24 * time.Hour}}
	k := cardcorestore.InstitutionKey{ID: "k", InstitutionID: "inst", UserID: "u"}
	f.Fuzz(func(t *testing.T, body string) {
		r := manageRequest(body)
		var in createBody
		err := decodeStrict(r, &in)
		var c jeton.Client
		var app cardcorestore.App
		if err == nil {
			err = in.complete()
		}
		if err == nil {
			c, app, err = d.newApp(KeyActor(k), AppInput{Name: *in.Name, Description: *in.Description,
				PublicKey: *in.PublicKey, Scopes: in.Scopes, WebsiteURL: *in.WebsiteURL, IconURL: *in.IconURL, IsOfficial: *in.IsOfficial})
		}
		if err != nil {
			checkRefusal(t, r, err)
			return
		}
		if _, err := clientauth.ParseKeys(c.PublicKeys); err != nil || len(c.PublicKeys) != 1 {
			t.Fatalf("registered %+v, which the core refuses: %v", c.PublicKeys, err)
		}
		for _, s := range c.Scopes {
			if !token.ValidScopeToken(s) {
				t.Fatalf("registered scope %q", s)
			}
		}
		if err := checkFields(&c.Name, &app.Description, &app.WebsiteURL, c.Scopes); err != nil || checkURL("iconUrl", app.IconURL) != nil {
			t.Fatalf("registered app %+v does not re-validate: %v", app, err)
		}
		b, _ := json.Marshal(in)
		var again createBody
		if err := decodeStrict(manageRequest(string(b)), &again); err != nil || !reflect.DeepEqual(in, again) {
			t.Fatalf("input %s decodes again as %+v (%v)", b, again, err)
		}
	})
}

// FuzzUpdateApp: PUT /institutions/oauth/{institutionId}'s body is refused with a 400
// in the envelope, or its fields pass the checks again after an encode/decode round
// trip that changes nothing.
func FuzzUpdateApp(f *testing.F) {
	for _, s := range []string{`{"name":"New"}`, `{"scopes":[]}`, `{"scopes":["a b"]}`, `{"websiteUrl":"ftp://x"}`,
		`{"description":null}`, `{"name":"  "}`, `{"publicKey":"x"}`, `{"scopes":["READ"]} x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := manageRequest(body)
		var in updateBody
		err := decodeStrict(r, &in)
		if err == nil {
			err = checkFields(in.Name, in.Description, in.WebsiteURL, in.Scopes)
		}
		if err != nil {
			checkRefusal(t, r, err)
			return
		}
		b, _ := json.Marshal(in)
		var again updateBody
		if err := decodeStrict(manageRequest(string(b)), &again); err != nil || !reflect.DeepEqual(in, again) {
			t.Fatalf("input %s decodes again as %+v (%v)", b, again, err)
		}
		if err := checkFields(again.Name, again.Description, again.WebsiteURL, again.Scopes); err != nil {
			t.Fatalf("accepted %s, refused after a round trip: %v", b, err)
		}
	})
}

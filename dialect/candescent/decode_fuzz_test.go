package candescent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
	"github.com/jeton/jeton/dialect/wire"
	"github.com/jeton/jeton/sqlite/sqlitetest"
	"github.com/jeton/jeton/token"
)

const (
	fuzzTx    = "3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b"
	fuzzFI    = "fi-1"  // V1 enabled, alias fuzzAlias
	fuzzAlias = "01234" // fuzzFI's alias
	fuzzOff   = "fi-2"  // V1 not enabled
)

// fuzzDialect is the dialect's decoding half over a real SQLite store holding two
// institutions: fuzzFI (alias fuzzAlias, V1 enabled) and fuzzOff.
func fuzzDialect(f *testing.F) *Dialect {
	f.Helper()
	ctx := context.Background()
	store := sqlitetest.New(f)
	now := time.Now()
	for _, id := range []string{fuzzFI, fuzzOff} {
		if err := store.CreateInstitution(ctx, jeton.Institution{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			f.Fatal(err)
		}
	}
	if err := store.PutCandescentSettings(ctx, candescentstore.Settings{InstitutionID: fuzzFI, Alias: fuzzAlias, V1Enabled: true, UpdatedAt: now}); err != nil {
		f.Fatal(err)
	}
	inst := &institutions{src: store, now: time.Now}
	inst.cache.TTL = time.Minute
	return &Dialect{cfg: Config{Settings: store, V1TTL: DefaultV1TTL, Now: time.Now}, inst: inst}
}

// headerRequest is a POST of body to path with the headers as given (an empty value is
// not sent; a value is sent as it is, even when no client could send it).
func headerRequest(path, body string, headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	for name, v := range headers {
		if v != "" {
			r.Header[http.CanonicalHeaderKey(name)] = []string{v}
		}
	}
	return r
}

// cmnCodes are the codes of the dialect's error table.
func cmnCodes() map[string]cmn {
	out := map[string]cmn{}
	for _, r := range errorTable {
		out[r.Answer.Code+"/"+r.Answer.Message] = r.Answer
	}
	return out
}

// checkCMN fails t unless the answer is one of the table's answers with its status
// (RFC 7235 §3.1: a 401 challenges Basic), never the internal error, and uncached.
func checkCMN(t *testing.T, w *httptest.ResponseRecorder, code, message string, v1 bool) {
	t.Helper()
	a, ok := cmnCodes()[code+"/"+message]
	switch {
	case !ok || a == cmnInternal:
		t.Fatalf("answer %d %q: not a refusal of the error table", w.Code, w.Body)
	case !v1 && w.Code != a.Status:
		t.Fatalf("answer %s with status %d, the table says %d", code, w.Code, a.Status)
	case v1 && w.Code != http.StatusBadRequest && w.Code != http.StatusUnauthorized:
		t.Fatalf("V1 answer %s with status %d", code, w.Code)
	case w.Code == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic "):
		t.Fatalf("401 without a Basic challenge: %v", w.Header())
	case w.Header().Get("Cache-Control") != "no-store":
		t.Fatalf("answer without Cache-Control: no-store: %v", w.Header())
	}
}

func basicOf(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// encodeForm is the form of a decoded request as a client sends it again.
func encodeForm(req token.Request) string {
	form := url.Values{}
	for name, v := range map[string]string{"grant_type": req.GrantType, "username": req.Username, "password": req.Password,
		"code": req.Code, "refresh_token": req.RefreshToken, "scope": strings.Join(req.Scope, " ")} {
		if v != "" {
			form.Set(name, v)
		}
	}
	return form.Encode()
}

func credentialsHeader(req token.Request) string {
	if req.Credentials.ClientID == "" {
		return ""
	}
	return basicOf(req.Credentials.ClientID, req.Credentials.Secret)
}

// FuzzDecodeV2: a V2 token request (form, Basic, transactionId, institutionId) is
// refused with one of the CMN answers of the error table at its status, or decodes to
// a request whose scopes are RFC 6749 §3.3 tokens, whose institution is resolved when
// its grant needs one, and which, sent again as a client would, decodes the same.
func FuzzDecodeV2(f *testing.F) {
	ct := "application/x-www-form-urlencoded"
	f.Add("grant_type=client_credentials&scope=a,b", ct, basicOf("c", "s"), fuzzTx, fuzzAlias)
	f.Add("grant_type=password&username=u&password=p", ct, basicOf("c", "s"), fuzzTx, fuzzFI)
	f.Add("grant_type=refresh_token&refresh_token=r", ct, "", fuzzTx, "")
	f.Add("grant_type=authorization_code&code=c", ct, basicOf("c", "s"), strings.ToUpper(fuzzTx), "x")
	f.Add("grant_type=client_credentials", ct, basicOf("c", "s"), "not-a-uuid", fuzzFI)
	f.Add("grant_type=client_credentials", "application/json", "Bearer x", fuzzTx, "\x01")
	f.Add("scope=a%01", ct, "Basic ###", fuzzTx, fuzzFI)
	d := fuzzDialect(f)
	f.Fuzz(func(t *testing.T, body, contentType, authz, tx, inst string) {
		r := headerRequest(TokenPath, body, map[string]string{"Content-Type": contentType, "Authorization": authz,
			headerTransactionID: tx, headerInstitutionID: inst})
		req, _, err := v2Codec{d}.Decode(r, wire.NewBody(r, wire.MaxFormBytes))
		if err != nil {
			w := httptest.NewRecorder()
			v2Codec{d}.Encode(w, r, dialect.Exchange[struct{}]{Request: req, Err: err})
			var body errorResponse
			if jerr := json.Unmarshal(w.Body.Bytes(), &body); jerr != nil {
				t.Fatalf("answer %q is not JSON", w.Body)
			}
			checkCMN(t, w, body.Code, body.Message, false)
			return
		}
		for _, s := range req.Scope {
			if !token.ValidScopeToken(s) || strings.ContainsAny(s, " ,") {
				t.Fatalf("accepted scope token %q", s)
			}
		}
		if needsInstitution(req.GrantType) && req.InstitutionID == "" || req.InstitutionID == fuzzAlias {
			t.Fatalf("accepted %+v: the institution is not resolved", req)
		}
		r2 := headerRequest(TokenPath, encodeForm(req), map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"Authorization": credentialsHeader(req), headerTransactionID: fuzzTx, headerInstitutionID: req.InstitutionID})
		again, _, err := v2Codec{d}.Decode(r2, wire.NewBody(r2, wire.MaxFormBytes))
		if err != nil || !reflect.DeepEqual(req, again) {
			t.Fatalf("decoded %+v; sent again it decodes to %+v (%v)", req, again, err)
		}
	})
}

// FuzzDecodeV1: a legacy V1 request (di_tid, di_fiid, Basic, form) is refused with
// the legacy XML Status of a table answer (400 or 401 only), or decodes to a password
// or client_credentials request of an FI whose V1 endpoint is enabled, with the V1
// token lifetime, that decodes the same when sent again.
func FuzzDecodeV1(f *testing.F) {
	ct := "application/x-www-form-urlencoded"
	f.Add("username=u&password=p", ct, basicOf("c", "s"), fuzzTx, fuzzFI)
	f.Add("grant_type=client_credentials", ct, basicOf("c", "s"), fuzzTx, fuzzAlias)
	f.Add("grant_type=refresh_token", ct, basicOf("c", "s"), fuzzTx, fuzzFI)
	f.Add("username=u&password=p", ct, basicOf("c", "s"), fuzzTx, fuzzOff)
	f.Add("<token/>", "application/xml", "", fuzzTx, fuzzFI)
	f.Add("username=u", ct, basicOf("c", "s"), "", fuzzFI)
	d := fuzzDialect(f)
	f.Fuzz(func(t *testing.T, body, contentType, authz, tid, fiid string) {
		r := headerRequest(V1TokenPath, body, map[string]string{"Content-Type": contentType, "Authorization": authz,
			headerV1TID: tid, headerV1FIID: fiid})
		req, _, err := v1Codec{d}.Decode(r, wire.NewBody(r, wire.MaxFormBytes))
		if err != nil {
			w := httptest.NewRecorder()
			v1Codec{d}.Encode(w, r, dialect.Exchange[v1Token]{Request: req, Err: err})
			var st v1Status
			if xerr := xml.Unmarshal(w.Body.Bytes(), &st); xerr != nil || st.StatusMessage != "Failure" ||
				!strings.HasPrefix(w.Header().Get("Content-Type"), "application/xml") {
				t.Fatalf("answer %q is not the legacy XML Status (%v)", w.Body, xerr)
			}
			a, ok := cmnCodes()[st.ErrorCode+"/"+st.ErrorMessage]
			if !ok || a.V1Type != st.ErrorType {
				t.Fatalf("V1 answer %+v is not a table answer", st)
			}
			checkCMN(t, w, st.ErrorCode, st.ErrorMessage, true)
			return
		}
		if req.InstitutionID != fuzzFI || req.AccessTTL != DefaultV1TTL ||
			(req.GrantType != jeton.GrantPassword && req.GrantType != jeton.GrantClientCredentials) {
			t.Fatalf("accepted %+v", req)
		}
		r2 := headerRequest(V1TokenPath, encodeForm(req), map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"Authorization": credentialsHeader(req), headerV1TID: fuzzTx, headerV1FIID: req.InstitutionID})
		again, _, err := v1Codec{d}.Decode(r2, wire.NewBody(r2, wire.MaxFormBytes))
		if err != nil || !reflect.DeepEqual(req, again) {
			t.Fatalf("decoded %+v; sent again it decodes to %+v (%v)", req, again, err)
		}
	})
}

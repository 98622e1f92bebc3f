package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"github.com/jeton/jeton/dialect/wire"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Setup is what bench/soak.sh made before the load: the clients, the customer and
// the CardCore application (soak.json).
type Setup struct {
	Base        string   `json:"base"`        // public listener, http://127.0.0.1:PORT
	Institution string   `json:"institution"` // id; its Candescent alias is Alias
	Alias       string   `json:"alias"`
	Main        Secret   `json:"main"`      // client_secret_basic: client_credentials, password, refresh_token (JWT)
	Opaque      Secret   `json:"opaque"`    // client_secret_basic: client_credentials, opaque tokens
	Post        Secret   `json:"post"`      // client_secret_post: AbbeyCross
	Usernames   []string `json:"usernames"` // customers, signed in round robin
	Password    string   `json:"password"`  // every customer's
	CardCore    struct {
		ClientID string `json:"client_id"`
		AppKey   string `json:"app_key"` // institutionId of the application
		Website  string `json:"website"` // the assertions' iss
		KeyFile  string `json:"key_file"`
	} `json:"cardcore"`
}

// Secret is a client id and secret.
type Secret struct {
	ID     string `json:"client_id"`
	Secret string `json:"client_secret"`
}

// kind is one sort of request in the mix, with its share (weight) of the traffic.
type kind struct {
	name   string
	weight int
	do     func(t *traffic) outcome
}

// outcome is one request's result: ok, or the class of an unexpected answer.
type outcome struct {
	ok    bool
	class string // "HTTP 401 invalid_client", "transport: ...", "200 without access_token"
}

func okay() outcome { return outcome{ok: true} }

// kinds is the mix (weights out of 400): every dialect, the standard grants,
// introspection and revocation. Password checks (argon2id, the one expensive request)
// are 0.25%, as in a bank's real traffic, where sign-ins are rare next to machine
// tokens and refreshes; each customer signs in in turn, never twice at once.
var kinds = []kind{
	{"oauth2 client_credentials", 88, (*traffic).stdClientCredentials},
	{"oauth2 client_credentials opaque", 32, (*traffic).opaqueToken},
	{"oauth2 introspection", 40, (*traffic).introspect},
	{"oauth2 revocation", 12, (*traffic).revoke},
	{"oauth2 refresh_token", 48, (*traffic).refresh},
	{"oauth2 password", 1, (*traffic).password},
	{"cardcore client_credentials", 40, (*traffic).cardcoreToken},
	{"cardcore refresh_token", 15, (*traffic).cardcoreRefresh},
	{"candescent v2 client_credentials", 40, (*traffic).candescentV2},
	{"candescent v1 (XML) client_credentials", 36, (*traffic).candescentV1},
	{"abbeycross client_credentials", 48, (*traffic).abbeycross},
}

// traffic sends the mix's requests and keeps the credentials some of them hand on:
// opaque tokens to introspect and revoke, refresh tokens to rotate.
type traffic struct {
	s      Setup
	http   *http.Client
	key    crypto.Signer
	cdAud  string // CardCore's token URL, the assertions' aud
	mu     sync.Mutex
	opaque []string    // recent opaque access tokens
	rts    chan string // the main client's current refresh tokens: one per session
	ccRT   string      // the CardCore application's refresh token (no rotation)
	users  chan string
}

const maxPool = 64

func (t *traffic) push(pool *[]string, v string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(*pool) >= maxPool {
		*pool = (*pool)[1:]
	}
	*pool = append(*pool, v)
}

// pop takes the oldest.
func (t *traffic) pop(pool *[]string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(*pool) == 0 {
		return ""
	}
	v := (*pool)[0]
	*pool = (*pool)[1:]
	return v
}

func (t *traffic) peek(pool *[]string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(*pool) == 0 {
		return ""
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(*pool))))
	return (*pool)[n.Int64()]
}

// call sends one request and reads the answer; a status other than want is an
// unexpected outcome classified by its status and the error code in the body.
func (t *traffic) call(req *http.Request, want int) ([]byte, outcome) {
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, outcome{class: "transport: " + trimErr(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, outcome{class: "transport: reading the answer: " + trimErr(err)}
	}
	if resp.StatusCode != want {
		return body, outcome{class: fmt.Sprintf("HTTP %d %s", resp.StatusCode, errorCode(body))}
	}
	return body, okay()
}

// errorCode finds the error code of an answer in any dialect's format.
func errorCode(body []byte) string {
	var j struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	if json.Unmarshal(body, &j) == nil {
		return strings.TrimSpace(j.Error + " " + j.Code)
	}
	var x struct {
		Code string `xml:"errorInfo>errorCode"`
	}
	if xml.Unmarshal(body, &x) == nil && x.Code != "" {
		return x.Code
	}
	return fmt.Sprintf("(%d bytes, not JSON or XML)", len(body))
}

func trimErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.Contains(s, "127.0.0.1") {
		s = s[i+2:] // drop the URL: one class per cause
	}
	return s
}

func (t *traffic) form(path string, c Secret, v url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, t.s.Base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret)) // RFC 6749 §2.3.1
	return req
}

func (t *traffic) jsonReq(path string, v any) *http.Request {
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, t.s.Base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// tokenAnswer is RFC 6749 §5.1.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func (t *traffic) token(c Secret, v url.Values) (tokenAnswer, outcome) {
	body, o := t.call(t.form("/oauth2/token", c, v), http.StatusOK)
	var a tokenAnswer
	if !o.ok {
		return a, o
	}
	if json.Unmarshal(body, &a) != nil || a.AccessToken == "" {
		return a, outcome{class: "200 without access_token"}
	}
	return a, o
}

func cc() url.Values { return url.Values{"grant_type": {"client_credentials"}} }

func (t *traffic) stdClientCredentials() outcome {
	_, o := t.token(t.s.Main, cc())
	return o
}

func (t *traffic) opaqueToken() outcome {
	a, o := t.token(t.s.Opaque, cc())
	if o.ok {
		t.push(&t.opaque, a.AccessToken)
	}
	return o
}

func (t *traffic) introspect() outcome {
	tok := t.peek(&t.opaque)
	if tok == "" {
		return t.opaqueToken()
	}
	body, o := t.call(t.form("/oauth2/introspect", t.s.Main, url.Values{"token": {tok}}), http.StatusOK)
	if o.ok && !bytes.Contains(body, []byte(`"active"`)) {
		return outcome{class: "introspection 200 without active"}
	}
	return o
}

func (t *traffic) revoke() outcome {
	tok := t.pop(&t.opaque)
	if tok == "" {
		return t.opaqueToken()
	}
	_, o := t.call(t.form("/oauth2/revoke", t.s.Opaque, url.Values{"token": {tok}, "token_type_hint": {"access_token"}}), http.StatusOK)
	return o
}

// password signs the next free customer in (RFC 6749 §4.3); a customer is never signed
// in twice at once (the lockout reserves a slot per attempt in flight,
// docs/architecture.md). The session is left to expire: only signIn keeps sessions.
func (t *traffic) password() outcome {
	_, o := t.signIn()
	return o
}

func (t *traffic) signIn() (string, outcome) {
	user := <-t.users
	defer func() { t.users <- user }()
	a, o := t.token(t.s.Main, url.Values{"grant_type": {"password"}, "username": {user}, "password": {t.s.Password}})
	if o.ok && a.RefreshToken == "" {
		return "", outcome{class: "password grant without refresh_token"}
	}
	return a.RefreshToken, o
}

// keepSession signs in and adds the session to the refresh kind's sessions.
func (t *traffic) keepSession() outcome {
	rt, o := t.signIn()
	if o.ok {
		t.rts <- rt
	}
	return o
}

// refresh rotates one session's refresh token (RFC 6749 §6) and keeps its successor.
// The sessions take turns (a FIFO channel, each token well within its idle lifetime)
// and one is never refreshed twice at once, as a client app's session is not; when
// every session is being refreshed, the request waits for one (its latency counts).
// A session whose refresh failed signs in again.
func (t *traffic) refresh() outcome {
	var rt string
	select {
	case rt = <-t.rts:
	case <-time.After(30 * time.Second):
		return outcome{class: "no refresh token came back for 30 s"}
	}
	a, o := t.token(t.s.Main, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	switch {
	case o.ok && a.RefreshToken != "":
		t.rts <- a.RefreshToken
	case o.ok:
		o = outcome{class: "refresh without a successor refresh_token"}
		fallthrough
	default:
		go t.keepSession() // replaces the session; a failure shows in the next refreshes
	}
	return o
}

// cardcoreBody is CardCore's token request with a fresh assertion (its guide's
// claims, a 60 s lifetime, a random jti).
func (t *traffic) cardcoreBody(grant, rt string) (map[string]string, error) {
	c := t.s.CardCore
	a, err := signCardCoreAssertion(t.key, c.ClientID, c.Website, t.cdAud, time.Now(), time.Minute)
	if err != nil {
		return nil, err
	}
	b := map[string]string{"grant_type": grant, "institutionId": c.AppKey, "client_id": c.ClientID,
		"client_assertion_type": wire.JWTBearerAssertion, "client_assertion": a}
	if rt != "" {
		b["refresh_token"] = rt
	}
	return b, nil
}

func (t *traffic) cardcoreCall(grant, rt string) outcome {
	b, err := t.cardcoreBody(grant, rt)
	if err != nil {
		return outcome{class: "signing the assertion: " + err.Error()}
	}
	body, o := t.call(t.jsonReq("/cardcore/institutions/oauth/token", b), http.StatusOK)
	if !o.ok {
		return o
	}
	var env struct {
		Data struct {
			AccessToken  string `json:"accessToken"`
			RefreshToken string `json:"refreshToken"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &env) != nil || env.Data.AccessToken == "" {
		return outcome{class: "cardcore 200 without data.accessToken"}
	}
	if env.Data.RefreshToken != "" {
		t.mu.Lock()
		t.ccRT = env.Data.RefreshToken
		t.mu.Unlock()
	}
	return o
}

func (t *traffic) cardcoreToken() outcome { return t.cardcoreCall("client_credentials", "") }

func (t *traffic) cardcoreRefresh() outcome {
	t.mu.Lock()
	rt := t.ccRT
	t.mu.Unlock()
	if rt == "" {
		return t.cardcoreToken()
	}
	return t.cardcoreCall("refresh_token", rt)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (t *traffic) candescentV2() outcome {
	req := t.form("/candescent/oauth2/v1/token", t.s.Main, cc())
	req.Header["transactionId"] = []string{newUUID()}
	req.Header["institutionId"] = []string{t.s.Alias}
	body, o := t.call(req, http.StatusOK)
	if o.ok && !bytes.Contains(body, []byte(`"access_token"`)) {
		return outcome{class: "candescent 200 without access_token"}
	}
	return o
}

func (t *traffic) candescentV1() outcome {
	req := t.form("/candescent/v1/oauth/token", t.s.Main, cc())
	req.Header["di_tid"] = []string{newUUID()}
	req.Header["di_fiid"] = []string{t.s.Institution}
	body, o := t.call(req, http.StatusOK)
	if !o.ok {
		return o
	}
	var tok struct {
		XMLName     xml.Name `xml:"token"`
		AccessToken string   `xml:"access_token"`
	}
	if xml.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		return outcome{class: "candescent v1 200 without an XML access_token"}
	}
	return o
}

func (t *traffic) abbeycross() outcome {
	body, o := t.call(t.jsonReq("/abbeycross/v1/oauth/token", map[string]string{"client_id": t.s.Post.ID, "client_secret": t.s.Post.Secret}), http.StatusOK)
	if o.ok && !bytes.Contains(body, []byte(`"access_token"`)) {
		return outcome{class: "abbeycross 200 without access_token"}
	}
	return o
}

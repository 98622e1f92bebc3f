// Command baseline is the yardstick for jeton's client_credentials benchmark: an HTTP
// server that does only the work no token server can avoid for one client_credentials
// request, and nothing else.
//
// Per request it parses a bounded form POST, checks HTTP Basic credentials against the
// SHA-256 digest of one fixed client secret (constant-time), signs a fresh ES256 JWT
// access token (typ at+jwt, with the same claims jeton issues: iss, sub, aud, exp, iat,
// jti, client_id, scope, institution_id) and answers RFC 6749 §5.1 JSON with
// Cache-Control: no-store.
//
// It has no database, no client lookup beyond one comparison, no policy, no audit, no
// metrics and no per-request logging. The signing key is generated at start and the
// go-jose signer built once; every token is signed anew (nothing is cached).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	maxBody  = 64 << 10
	tokenTTL = 5 * time.Minute
	scope    = "accounts:read"
	// institutionID stands in for the client's institution; jeton reads it from the
	// client row, the baseline has only one client.
	institutionID = "00000000000000000000000000000001"
)

type server struct {
	// issuer is also the audience, as with jeton's defaults: http://<addr>.
	issuer       string
	clientID     string
	secretDigest [sha256.Size]byte
	signer       jose.Signer
}

type claims struct {
	Issuer        string `json:"iss"`
	Subject       string `json:"sub"`
	Audience      string `json:"aud"`
	ExpiresAt     int64  `json:"exp"`
	IssuedAt      int64  `json:"iat"`
	JTI           string `json:"jti"`
	ClientID      string `json:"client_id"`
	Scope         string `json:"scope"`
	InstitutionID string `json:"institution_id"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

type errorResponse struct {
	Error string `json:"error"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	clientID := flag.String("client-id", "", "the one client's id")
	clientSecret := flag.String("client-secret", "", "the one client's secret")
	flag.Parse()
	if *clientID == "" || *clientSecret == "" {
		fmt.Fprintln(os.Stderr, "baseline: -client-id and -client-secret are required")
		os.Exit(2)
	}
	s, err := newServer("http://"+*addr, *clientID, *clientSecret)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.token)
	srv := &http.Server{
		Addr:              *addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	log.Fatal(srv.ListenAndServe())
}

func newServer(issuer, clientID, secret string) (*server, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	kid := make([]byte, 16)
	_, _ = rand.Read(kid)
	opts := (&jose.SignerOptions{}).WithType("at+jwt")
	key := jose.JSONWebKey{Key: priv, KeyID: hex.EncodeToString(kid), Algorithm: string(jose.ES256)}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		return nil, err
	}
	return &server{issuer: issuer, clientID: clientID, secretDigest: sha256.Sum256([]byte(secret)), signer: signer}, nil
}

func (s *server) token(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")

	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, errorResponse{"invalid_request"})
		return
	}
	id, secret, err := basic(r.Header.Get("Authorization"))
	if err != nil || !s.authenticate(id, secret) {
		h.Set("WWW-Authenticate", `Basic realm="baseline"`)
		writeJSON(w, http.StatusUnauthorized, errorResponse{"invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, errorResponse{"unsupported_grant_type"})
		return
	}
	if sc := r.PostForm.Get("scope"); sc != "" && sc != scope {
		writeJSON(w, http.StatusBadRequest, errorResponse{"invalid_scope"})
		return
	}

	now := time.Now().Truncate(time.Second)
	payload, err := json.Marshal(claims{
		Issuer:        s.issuer,
		Subject:       id,
		Audience:      s.issuer,
		ExpiresAt:     now.Add(tokenTTL).Unix(),
		IssuedAt:      now.Unix(),
		JTI:           newID(),
		ClientID:      id,
		Scope:         scope,
		InstitutionID: institutionID,
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorResponse{"server_error"})
		return
	}
	jws, err := s.signer.Sign(payload)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorResponse{"server_error"})
		return
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorResponse{"server_error"})
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok,
		TokenType:   "Bearer",
		ExpiresIn:   int64(tokenTTL.Seconds()),
		Scope:       scope,
	})
}

// authenticate compares both the id and the secret's digest in constant time.
func (s *server) authenticate(id, secret string) bool {
	d := sha256.Sum256([]byte(secret))
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.clientID))
	secOK := subtle.ConstantTimeCompare(d[:], s.secretDigest[:])
	return idOK&secOK == 1
}

// basic decodes RFC 6749 §2.3.1 credentials: base64 of form-urlencoded id:secret.
func basic(h string) (id, secret string, err error) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", errors.New("not basic")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", err
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("no colon")
	}
	if id, err = url.QueryUnescape(user); err != nil {
		return "", "", err
	}
	if secret, err = url.QueryUnescape(pass); err != nil {
		return "", "", err
	}
	return id, secret, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/internal/testcert"
)

// certFiles writes p as <dir>/<name>.crt and <dir>/<name>.key.
func certFiles(t *testing.T, dir, name string, p testcert.Pair) (string, string) {
	t.Helper()
	c, k := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	p.Write(t, c, k)
	return c, k
}

func pinnedClient(p testcert.Pair) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: p.Pinned()}}
}

// tlsVendors are the vendor modules with a listener of their own (--<name>-addr), each
// added by its vendor's test file, so the tests below cover every vendor's listener
// and still build when a vendor is removed (.ci/vendor-removal).
var tlsVendors []string

// TestServeHTTPS runs serve with HTTPS on the public, admin and a vendor's own
// listener: the issuer, discovery and tokens say https, answers carry HSTS, the CLI's
// admin URL is https, and a plain-HTTP client gets nothing.
func TestServeHTTPS(t *testing.T) {
	dir := t.TempDir()
	public, admin := testcert.New(t, "public"), testcert.New(t, "admin")
	pc, pk := certFiles(t, dir, "public", public)
	ac, ak := certFiles(t, dir, "admin", admin)
	args := []string{"--tls-cert", pc, "--tls-key", pk, "--tls-client-certs", "request",
		"--admin-tls-cert", ac, "--admin-tls-key", ak}
	for _, v := range tlsVendors {
		args = append(args, "--"+v+"-addr", "127.0.0.1:0", "--"+v+"-tls-cert", pc, "--"+v+"-tls-key", pk)
	}
	cfg := testServeConfig(t, filepath.Join(dir, "data"), args...)
	logs := &syncBuffer{}
	logger, _ := newLogger(logs, "json", "debug")
	ctx, cancel := context.WithCancel(context.Background())
	a, err := startApp(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	base := "https://" + a.publicLn.Addr().String()
	if a.Issuer != base {
		t.Fatalf("issuer %q, want %q", a.Issuer, base)
	}
	hc := pinnedClient(public)
	defer hc.CloseIdleConnections()
	var meta struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	resp, err := hc.Get(base + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("Strict-Transport-Security %q", got)
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if meta.Issuer != base || meta.TokenEndpoint != base+"/oauth2/token" {
		t.Fatalf("discovery %+v, want issuer %s", meta, base)
	}

	// The admin listener has its own certificate; the CLI finds an https URL.
	adminURL := readFile(t, filepath.Join(cfg.DataDir, adminURLFile))
	if !strings.HasPrefix(adminURL, "https://") {
		t.Fatalf("admin URL %q", adminURL)
	}
	ac2 := pinnedClient(admin)
	defer ac2.CloseIdleConnections()
	adm := adminapi.NewClient(adminURL, readFile(t, filepath.Join(cfg.DataDir, adminTokenFile)), ac2)
	inst, err := adm.CreateInstitution(context.Background(), "First Credit Union")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := adm.CreateClient(context.Background(), adminapi.ClientInput{InstitutionID: inst.ID, Name: "partner"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pinnedClient(public).Get(adminURL + "/admin/v1/institutions"); err == nil {
		t.Fatal("the admin listener served the public certificate")
	}

	// A token over HTTPS carries the https issuer.
	req, _ := http.NewRequest(http.MethodPost, meta.TokenEndpoint, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cl.ClientID, cl.ClientSecret)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	parts := strings.Split(tok.AccessToken, ".")
	if resp.StatusCode != http.StatusOK || len(parts) != 3 {
		t.Fatalf("token: %d %q", resp.StatusCode, tok.AccessToken)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Iss string `json:"iss"`
	}
	_ = json.Unmarshal(payload, &claims)
	if claims.Iss != base {
		t.Fatalf("iss %q, want %q", claims.Iss, base)
	}

	// Every vendor's own listener speaks TLS too, with HSTS.
	if len(a.extra) != len(tlsVendors) {
		t.Fatalf("%d own listeners for vendors %v", len(a.extra), tlsVendors)
	}
	for _, x := range a.extra {
		resp, err = hc.Get("https://" + x.ln.Addr().String() + "/healthz")
		if err != nil {
			t.Fatalf("%s listener over HTTPS: %v", x.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") == "" {
			t.Fatalf("%s listener: %d, HSTS %q", x.name, resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
		}
	}

	// Plain HTTP to the HTTPS listener: no answer from the application.
	if resp, err := http.Get("http://" + a.publicLn.Addr().String() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served on the HTTPS listener")
		}
	}
	if strings.Contains(logs.String(), "plain HTTP") {
		t.Fatalf("plain-HTTP warning with TLS on:\n%s", logs.String())
	}
}

// TestServeTLSSettings: half a pair, or client certificates without HTTPS, fail the
// start; plain HTTP on a non-loopback address warns, on loopback it does not.
func TestServeTLSSettings(t *testing.T) {
	dir := t.TempDir()
	c, k := certFiles(t, dir, "p", testcert.New(t, "p"))
	refused := [][]string{
		{"--tls-cert", c},
		{"--admin-tls-key", k},
		{"--tls-client-certs", "request"},
		{"--tls-client-certs", "require", "--tls-cert", c, "--tls-key", k},
		{"--tls-cert", c, "--tls-key", c},
	}
	for _, v := range tlsVendors {
		refused = append(refused,
			[]string{"--" + v + "-addr", "127.0.0.1:0", "--" + v + "-tls-cert", c}, // no key
			[]string{"--" + v + "-tls-cert", c, "--" + v + "-tls-key", k})          // no listener
	}
	for _, args := range refused {
		cfg := testServeConfig(t, t.TempDir(), args...)
		a, err := startApp(context.Background(), cfg, discardLogger(t))
		if err == nil {
			a.close()
			t.Errorf("%v: started", args)
		}
	}
	for _, tt := range []struct {
		addr string
		warn bool
	}{{"127.0.0.1:0", false}, {"0.0.0.0:0", true}} {
		logs := &syncBuffer{}
		logger, _ := newLogger(logs, "json", "debug")
		a, err := startApp(context.Background(), testServeConfig(t, t.TempDir(), "--addr", tt.addr), logger)
		if err != nil {
			t.Fatal(err)
		}
		a.close()
		if got := strings.Contains(logs.String(), "plain HTTP on a non-loopback address"); got != tt.warn {
			t.Errorf("--addr %s: warned %v, want %v\n%s", tt.addr, got, tt.warn, logs.String())
		}
	}
}

// TestServeCertificateRotationOnSIGHUP rotates the certificate files under a running
// `jeton serve` process and sends SIGHUP, as an operator (or cert-manager with a
// reload hook) does: new clients get the new certificate at once, clients pinned to
// the old one no longer connect, and a connection open across the rotation keeps
// working. The poll is set to an hour, so only the signal can have reloaded.
func TestServeCertificateRotationOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	oldPair, newPair := testcert.New(t, "old"), testcert.New(t, "new")
	c, k := certFiles(t, dir, "tls", oldPair)
	r := startReplica(t, nil, "--tls-cert", c, "--tls-key", k, "--tls-reload-interval", "1h")
	host := strings.TrimPrefix(r.public, "http://")

	conn, err := tls.Dial("tcp", host, oldPair.Pinned())
	if err != nil {
		t.Fatalf("pinned to the first certificate: %v", err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	ready := func() {
		t.Helper()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: "+host+"\r\n\r\n"); err != nil {
			t.Fatalf("open connection: %v", err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("open connection: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("open connection: %d", resp.StatusCode)
		}
	}
	ready()

	newPair.Write(t, c, k)
	if err := r.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		hc := pinnedClient(newPair)
		resp, err := hc.Get("https://" + host + "/healthz")
		hc.CloseIdleConnections()
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pinned to the new certificate after SIGHUP: %v\n%s", err, r.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	hc := pinnedClient(oldPair)
	if resp, err := hc.Get("https://" + host + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("a client pinned to the old certificate connects after the rotation")
	}
	ready() // the connection made before the rotation
	if !strings.Contains(r.logs.String(), `"reloaded":true`) {
		t.Fatalf("no reload logged:\n%s", r.logs.String())
	}
}

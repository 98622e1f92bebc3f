package tlsserve_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton/internal/testcert"
	"github.com/jeton/jeton/tlsserve"
)

// server serves on a TLS listener made by tlsserve.Listen; each answer names the
// client certificates it received.
func server(t *testing.T, p testcert.Pair, mode tlsserve.ClientCerts) (string, *tlsserve.Certificate, tlsserve.Files) {
	t.Helper()
	dir := t.TempDir()
	files := tlsserve.Files{Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key")}
	p.Write(t, files.Cert, files.Key)
	ln, cert, err := tlsserve.Listen("127.0.0.1:0", files, mode, slog.New(slog.DiscardHandler), "public")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var names []string
		for _, c := range r.TLS.PeerCertificates {
			names = append(names, c.Subject.CommonName)
		}
		_, _ = io.WriteString(w, "peer="+strings.Join(names, ",")+" version="+tls.VersionName(r.TLS.Version))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), cert, files
}

func get(t *testing.T, addr string, cfg *tls.Config) (string, error) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	defer c.CloseIdleConnections()
	resp, err := c.Get("https://" + addr + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// openConn is one kept-alive HTTPS connection, for requests across a rotation.
type openConn struct {
	c *tls.Conn
	r *bufio.Reader
}

func (o openConn) get(t *testing.T) string {
	t.Helper()
	if _, err := io.WriteString(o.c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatalf("write on the open connection: %v", err)
	}
	resp, err := http.ReadResponse(o.r, nil)
	if err != nil {
		t.Fatalf("read on the open connection: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestRotationByWatch(t *testing.T) {
	oldPair, newPair := testcert.New(t, "old"), testcert.New(t, "new")
	addr, cert, files := server(t, oldPair, tlsserve.ClientCertsOff)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	set := &tlsserve.Set{}
	set.Add(cert)
	set.Watch(ctx, 20*time.Millisecond)

	conn, err := tls.Dial("tcp", addr, oldPair.Pinned())
	if err != nil {
		t.Fatalf("client pinned to the first certificate: %v", err)
	}
	defer conn.Close()
	open := openConn{c: conn, r: bufio.NewReader(conn)}
	open.get(t)
	if _, err := get(t, addr, newPair.Pinned()); err == nil {
		t.Fatal("a client pinned to the next certificate connected before the rotation")
	}

	newPair.Write(t, files.Cert, files.Key)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err = get(t, addr, newPair.Pinned()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rotated certificate was not served within 5s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := get(t, addr, oldPair.Pinned()); err == nil {
		t.Fatal("a client pinned to the old certificate still connects after the rotation")
	}
	if got := open.get(t); !strings.HasPrefix(got, "peer=") {
		t.Fatalf("the connection open across the rotation answered %q", got)
	}
	if cn := cert.Leaf().Subject.CommonName; cn != "new" {
		t.Fatalf("Leaf is %q", cn)
	}
}

func TestReloadOnSignalAndHalfWrittenPair(t *testing.T) {
	oldPair, newPair := testcert.New(t, "old"), testcert.New(t, "new")
	addr, cert, files := server(t, oldPair, tlsserve.ClientCertsOff)

	// The certificate is written, its key not yet: the pair does not match, the old
	// one stays in use.
	if err := os.WriteFile(files.Cert, newPair.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cert.Reload(); err == nil {
		t.Fatal("a certificate with the wrong key was loaded")
	}
	if _, err := get(t, addr, oldPair.Pinned()); err != nil {
		t.Fatalf("after a refused reload the old certificate is no longer served: %v", err)
	}
	if err := os.WriteFile(files.Key, newPair.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cert.Reload(); err != nil { // what SIGHUP calls
		t.Fatal(err)
	}
	if _, err := get(t, addr, newPair.Pinned()); err != nil {
		t.Fatalf("client pinned to the reloaded certificate: %v", err)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := testcert.New(t, "a"), testcert.New(t, "b")
	files := tlsserve.Files{Cert: filepath.Join(dir, "c"), Key: filepath.Join(dir, "k")}
	if _, err := tlsserve.Load("public", files, nil); err == nil {
		t.Fatal("missing files loaded")
	}
	_ = os.WriteFile(files.Cert, a.CertPEM, 0o600)
	_ = os.WriteFile(files.Key, b.KeyPEM, 0o600)
	if _, err := tlsserve.Load("public", files, nil); err == nil {
		t.Fatal("mismatched pair loaded")
	}
	if err := (tlsserve.Files{Cert: "x"}).Check("tls"); err == nil {
		t.Fatal("a certificate without a key passed Check")
	}
}

func TestProtocolVersionsAndSuites(t *testing.T) {
	p := testcert.New(t, "srv")
	addr, _, _ := server(t, p, tlsserve.ClientCertsOff)

	got, err := get(t, addr, p.Pinned())
	if err != nil || !strings.Contains(got, "version=TLS 1.3") {
		t.Fatalf("default client: %q, %v (want TLS 1.3)", got, err)
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		cfg := p.Pinned()
		cfg.MinVersion, cfg.MaxVersion = v, v
		if _, err := get(t, addr, cfg); err == nil {
			t.Errorf("%s handshake succeeded", tls.VersionName(v))
		}
	}
	cfg := p.Pinned()
	cfg.MaxVersion = tls.VersionTLS12
	if got, err := get(t, addr, cfg); err != nil || !strings.Contains(got, "version=TLS 1.2") {
		t.Fatalf("TLS 1.2 with modern suites: %q, %v", got, err)
	}
	for _, s := range []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	} {
		cfg := p.Pinned()
		cfg.MaxVersion, cfg.CipherSuites = tls.VersionTLS12, []uint16{s}
		if _, err := get(t, addr, cfg); err == nil {
			t.Errorf("TLS 1.2 with only %s succeeded", tls.CipherSuiteName(s))
		}
	}
}

// TestRawHellos sends what Go's client cannot: an SSLv3 ClientHello and garbage. The
// server answers with an alert or closes, and keeps serving others.
func TestRawHellos(t *testing.T) {
	p := testcert.New(t, "srv")
	addr, _, _ := server(t, p, tlsserve.ClientCertsOff)
	hello := []byte{0x03, 0x00} // client_version SSL 3.0
	hello = append(hello, make([]byte, 32)...)
	hello = append(hello, 0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00) // no session id; TLS_RSA_WITH_AES_128_CBC_SHA; null compression
	hs := append([]byte{0x01, 0x00, 0x00, byte(len(hello))}, hello...)
	sslv3 := append([]byte{0x16, 0x03, 0x00, 0x00, byte(len(hs))}, hs...)
	for name, raw := range map[string][]byte{
		"sslv3":   sslv3,
		"garbage": []byte("\x16\x03\x01\x00\x05hello, this is not a ClientHello at all\r\n\r\n"),
		"http":    []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(raw); err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(c) // until the server closes
			if len(b) > 0 && b[0] != 0x15 && !strings.HasPrefix(string(b), "HTTP/1.0 400") {
				t.Fatalf("answer %q is neither a TLS alert nor a 400", b)
			}
			if bytesContain(b, "peer=") {
				t.Fatal("the handler ran")
			}
		})
	}
	if _, err := get(t, addr, p.Pinned()); err != nil {
		t.Fatalf("after bad handshakes: %v", err)
	}
}

func bytesContain(b []byte, s string) bool { return strings.Contains(string(b), s) }

// TestClientCertificates: request mode asks for a certificate, accepts any
// well-formed one without verifying it, and accepts none; off mode asks for none.
func TestClientCertificates(t *testing.T) {
	p, client := testcert.New(t, "srv"), testcert.New(t, "client-self-signed")
	addr, _, _ := server(t, p, tlsserve.ClientCertsRequest)
	cfg := p.Pinned()
	cfg.Certificates = []tls.Certificate{client.TLS(t)}
	if got, err := get(t, addr, cfg); err != nil || !strings.Contains(got, "peer=client-self-signed ") {
		t.Fatalf("with a client certificate: %q, %v", got, err)
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := p.Pinned()
		cfg.MaxVersion = v
		if got, err := get(t, addr, cfg); err != nil || !strings.Contains(got, "peer= ") {
			t.Fatalf("%s without a client certificate: %q, %v", tls.VersionName(v), got, err)
		}
	}

	off, _, _ := server(t, p, tlsserve.ClientCertsOff)
	asked := false
	cfg = p.Pinned()
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		asked = true
		c := client.TLS(t)
		return &c, nil
	}
	if got, err := get(t, off, cfg); err != nil || asked || !strings.Contains(got, "peer= ") {
		t.Fatalf("off mode: %q, %v, asked=%v", got, err, asked)
	}
	if _, err := tlsserve.ParseClientCerts("require"); err == nil {
		t.Fatal("require accepted")
	}
}

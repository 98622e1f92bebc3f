package tlsserve_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jeton/jeton/tlsserve"
)

// pair is a self-signed certificate for 127.0.0.1 and its key, as PEM.
type pair struct {
	cert            *x509.Certificate
	certPEM, keyPEM []byte
}

func newPair(t *testing.T, cn string) pair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:        true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return pair{cert: cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})}
}

func (p pair) tlsCert(t *testing.T) tls.Certificate {
	c, err := tls.X509KeyPair(p.certPEM, p.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p pair) write(t *testing.T, f tlsserve.Files) {
	t.Helper()
	// Written the way a rotation tool does: a new file renamed over the old one.
	for _, x := range []struct {
		path string
		b    []byte
	}{{f.Cert, p.certPEM}, {f.Key, p.keyPEM}} {
		tmp := x.path + ".new"
		if err := os.WriteFile(tmp, x.b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, x.path); err != nil {
			t.Fatal(err)
		}
	}
}

// pinned trusts exactly p's certificate.
func pinned(p pair) *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(p.cert)
	return &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
}

// server serves on a TLS listener made by tlsserve.Listen; each answer names the
// client certificates it received.
func server(t *testing.T, p pair, mode tlsserve.ClientCerts) (string, *tlsserve.Certificate, tlsserve.Files) {
	t.Helper()
	dir := t.TempDir()
	files := tlsserve.Files{Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key")}
	p.write(t, files)
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
	oldPair, newPair := newPair(t, "old"), newPair(t, "new")
	addr, cert, files := server(t, oldPair, tlsserve.ClientCertsOff)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go cert.Watch(ctx, 20*time.Millisecond)

	conn, err := tls.Dial("tcp", addr, pinned(oldPair))
	if err != nil {
		t.Fatalf("client pinned to the first certificate: %v", err)
	}
	defer conn.Close()
	open := openConn{c: conn, r: bufio.NewReader(conn)}
	open.get(t)
	if _, err := get(t, addr, pinned(newPair)); err == nil {
		t.Fatal("a client pinned to the next certificate connected before the rotation")
	}

	newPair.write(t, files)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err = get(t, addr, pinned(newPair)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rotated certificate was not served within 5s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := get(t, addr, pinned(oldPair)); err == nil {
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
	oldPair, newPair := newPair(t, "old"), newPair(t, "new")
	addr, cert, files := server(t, oldPair, tlsserve.ClientCertsOff)

	// The certificate is written, its key not yet: the pair does not match, the old
	// one stays in use.
	if err := os.WriteFile(files.Cert, newPair.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cert.Reload(); err == nil {
		t.Fatal("a certificate with the wrong key was loaded")
	}
	if _, err := get(t, addr, pinned(oldPair)); err != nil {
		t.Fatalf("after a refused reload the old certificate is no longer served: %v", err)
	}
	if err := os.WriteFile(files.Key, newPair.keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cert.Reload(); err != nil { // what SIGHUP calls
		t.Fatal(err)
	}
	if _, err := get(t, addr, pinned(newPair)); err != nil {
		t.Fatalf("client pinned to the reloaded certificate: %v", err)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := newPair(t, "a"), newPair(t, "b")
	files := tlsserve.Files{Cert: filepath.Join(dir, "c"), Key: filepath.Join(dir, "k")}
	if _, err := tlsserve.Load("public", files, nil); err == nil {
		t.Fatal("missing files loaded")
	}
	_ = os.WriteFile(files.Cert, a.certPEM, 0o600)
	_ = os.WriteFile(files.Key, b.keyPEM, 0o600)
	if _, err := tlsserve.Load("public", files, nil); err == nil {
		t.Fatal("mismatched pair loaded")
	}
	if err := (tlsserve.Files{Cert: "x"}).Check("tls"); err == nil {
		t.Fatal("a certificate without a key passed Check")
	}
}

func TestProtocolVersionsAndSuites(t *testing.T) {
	p := newPair(t, "srv")
	addr, _, _ := server(t, p, tlsserve.ClientCertsOff)

	got, err := get(t, addr, pinned(p))
	if err != nil || !strings.Contains(got, "version=TLS 1.3") {
		t.Fatalf("default client: %q, %v (want TLS 1.3)", got, err)
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		cfg := pinned(p)
		cfg.MinVersion, cfg.MaxVersion = v, v
		if _, err := get(t, addr, cfg); err == nil {
			t.Errorf("%s handshake succeeded", tls.VersionName(v))
		}
	}
	cfg := pinned(p)
	cfg.MaxVersion = tls.VersionTLS12
	if got, err := get(t, addr, cfg); err != nil || !strings.Contains(got, "version=TLS 1.2") {
		t.Fatalf("TLS 1.2 with modern suites: %q, %v", got, err)
	}
	for _, s := range []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	} {
		cfg := pinned(p)
		cfg.MaxVersion, cfg.CipherSuites = tls.VersionTLS12, []uint16{s}
		if _, err := get(t, addr, cfg); err == nil {
			t.Errorf("TLS 1.2 with only %s succeeded", tls.CipherSuiteName(s))
		}
	}
}

// TestRawHellos sends what Go's client cannot: an SSLv3 ClientHello and garbage. The
// server answers with an alert or closes, and keeps serving others.
func TestRawHellos(t *testing.T) {
	p := newPair(t, "srv")
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
	if _, err := get(t, addr, pinned(p)); err != nil {
		t.Fatalf("after bad handshakes: %v", err)
	}
}

func bytesContain(b []byte, s string) bool { return strings.Contains(string(b), s) }

// TestClientCertificates: request mode asks for a certificate, accepts any
// well-formed one without verifying it, and accepts none; off mode asks for none.
func TestClientCertificates(t *testing.T) {
	p, client := newPair(t, "srv"), newPair(t, "client-self-signed")
	addr, _, _ := server(t, p, tlsserve.ClientCertsRequest)
	cfg := pinned(p)
	cfg.Certificates = []tls.Certificate{client.tlsCert(t)}
	if got, err := get(t, addr, cfg); err != nil || !strings.Contains(got, "peer=client-self-signed ") {
		t.Fatalf("with a client certificate: %q, %v", got, err)
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := pinned(p)
		cfg.MaxVersion = v
		if got, err := get(t, addr, cfg); err != nil || !strings.Contains(got, "peer= ") {
			t.Fatalf("%s without a client certificate: %q, %v", tls.VersionName(v), got, err)
		}
	}

	off, _, _ := server(t, p, tlsserve.ClientCertsOff)
	asked := false
	cfg = pinned(p)
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		asked = true
		c := client.tlsCert(t)
		return &c, nil
	}
	if got, err := get(t, off, cfg); err != nil || asked || !strings.Contains(got, "peer= ") {
		t.Fatalf("off mode: %q, %v, asked=%v", got, err, asked)
	}
	if _, err := tlsserve.ParseClientCerts("require"); err == nil {
		t.Fatal("require accepted")
	}
}

package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jeton/jeton/password"
)

// manifest is what `scale load` leaves for `scale lines` and the script: the
// population's parameters (from which every row follows) and the load's timings.
type manifest struct {
	Sizes
	Seed         string        `json:"seed"`
	Now          time.Time     `json:"now"`
	Span         time.Duration `json:"span_ns"`
	Idle         time.Duration `json:"idle_ns"`
	Life         time.Duration `json:"life_ns"`
	Expired      float64       `json:"expired"`
	PasswordHash string        `json:"password_hash"`
	Password     string        `json:"password"`
	PublicKeyPEM string        `json:"public_key_pem"`
	PrivateKey   string        `json:"private_key_file"`
	Audience     string        `json:"audience"`
	Loaded       []loaded      `json:"loaded,omitempty"`
	LoadSecs     float64       `json:"load_secs,omitempty"`
}

func (m *manifest) pop() (*Pop, error) {
	seed, err := hex.DecodeString(m.Seed)
	if err != nil || len(seed) == 0 {
		return nil, fmt.Errorf("manifest: bad seed %q", m.Seed)
	}
	p := &Pop{Sizes: m.Sizes, Seed: seed, Now: m.Now, Span: m.Span, Idle: m.Idle, Life: m.Life,
		Expired: m.Expired, PasswordHash: m.PasswordHash, PublicKeyPEM: m.PublicKeyPEM, Audience: m.Audience}
	return p, p.check()
}

func readManifest(path string) (*manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

func (m *manifest) write(path string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// newManifest makes a population's parameters: a fresh seed, one argon2id hash of one
// password for every customer, one RSA key pair for every private_key_jwt client
// (written to keyDir, reused when already there).
func newManifest(s Sizes, keyDir, aud string, expired float64, now time.Time) (*manifest, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	seed := make([]byte, 32)
	_, _ = rand.Read(seed)
	pw := hex.EncodeToString(seed[:12])
	hash, err := password.Hash(pw, password.DefaultParams)
	if err != nil {
		return nil, err
	}
	priv := filepath.Join(keyDir, "scale-key.pem")
	pub, err := keyPair(priv)
	if err != nil {
		return nil, err
	}
	return &manifest{
		Sizes: s, Seed: hex.EncodeToString(seed), Now: now.UTC().Truncate(time.Second),
		Span: 6 * 24 * time.Hour, Idle: 7 * 24 * time.Hour, Life: 30 * 24 * time.Hour, Expired: expired,
		PasswordHash: hash, Password: pw, PublicKeyPEM: pub, PrivateKey: priv, Audience: aud,
	}, nil
}

// keyPair returns the PKIX PEM of the RSA key in path, making the key first if the
// file does not exist.
func keyPair(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return "", err
		}
		b = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	key, err := readRSAKey(b)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

func readRSAKey(b []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

func loadCmd(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	db := fs.String("db", "", "jeton's SQLite file, or a postgres:// URL (created and migrated if new; jeton must not be serving it)")
	out := fs.String("manifest", "", "output: the population's parameters and the load's timings (JSON)")
	keyDir := fs.String("keys", "", "directory of the private_key_jwt clients' RSA key (scale-key.pem; default: the manifest's)")
	aud := fs.String("aud", "http://127.0.0.1:8080", "the opaque tokens' audience (jeton's issuer)")
	var s Sizes
	fs.IntVar(&s.Institutions, "institutions", 10_000, "institutions")
	fs.IntVar(&s.Clients, "clients", 100_000, "clients")
	fs.IntVar(&s.Customers, "customers", 1_000_000, "customers")
	fs.IntVar(&s.Families, "families", 10_000_000, "refresh families, one live token each")
	fs.IntVar(&s.Replays, "replays", 1_000_000, "assertion replay records")
	fs.IntVar(&s.Opaque, "opaque", 1_000_000, "opaque access tokens")
	expired := fs.Float64("expired", 0, "fraction of families, replay records and opaque tokens already expired (the janitor's work)")
	_ = fs.Parse(args)
	if *db == "" || *out == "" {
		return errors.New("-db and -manifest are required")
	}
	if *expired < 0 || *expired > 1 {
		return errors.New("-expired must be within [0, 1]")
	}
	if *keyDir == "" {
		*keyDir = filepath.Dir(*out)
	}
	m, err := newManifest(s, *keyDir, *aud, *expired, time.Now())
	if err != nil {
		return err
	}
	p, err := m.pop()
	if err != nil {
		return err
	}
	start := time.Now()
	m.Loaded, err = load(context.Background(), *db, p, func(l loaded) {
		fmt.Fprintf(os.Stderr, "scale: %-17s %11d rows in %7.1f s (%.0f rows/s)\n", l.Table, l.Rows, l.Secs, float64(l.Rows)/l.Secs)
	})
	if err != nil {
		return err
	}
	m.LoadSecs = time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "scale: loaded in %.1f s\n", m.LoadSecs)
	return m.write(*out)
}

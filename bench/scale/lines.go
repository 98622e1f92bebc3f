package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"runtime"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
)

// A request line is "Basic credentials<TAB>form body" (no credentials: the body
// carries them); bench/scale.lua sends one per request.

// Clients are drawn from a Zipf distribution over ranks, and a rank is mapped to a
// client by a fixed permutation, so that the popular clients are spread over the
// institutions and over the table rather than being its first rows.
const rankPrime = 1_000_003

func permute(r, n int) int {
	if n%rankPrime == 0 {
		return r
	}
	return int((uint64(r) * rankPrime) % uint64(n))
}

// secretClient is the r-th client that authenticates with a secret (j mod 10 < 8).
func secretClient(r int) int { return r/8*10 + r%8 }

func secretClients(n int) int { return n/10*8 + min(n%10, 8) }

// pkClient is the r-th private_key_jwt client (j mod 10 is 8 or 9).
func pkClient(r int) int { return r/2*10 + 8 + r%2 }

func pkClients(n int) int { return n/10*2 + max(n%10-8, 0) }

// auth returns client j's credentials: Basic credentials (RFC 6749 §2.3.1: each part
// form-encoded first) or body parameters for client_secret_post.
func (p *Pop) auth(j int) (basic, body string) {
	id, secret := p.ClientID(j), p.ClientSecret(j)
	if clientMethod(j) == jeton.AuthSecretPost {
		return "", "&client_id=" + url.QueryEscape(id) + "&client_secret=" + url.QueryEscape(secret)
	}
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret))), ""
}

func linesCmd(args []string) error {
	fs := flag.NewFlagSet("lines", flag.ExitOnError)
	mpath := fs.String("manifest", "", "the manifest `scale load` wrote")
	kind := fs.String("kind", "", "cc, pk, refresh or introspect")
	n := fs.Int("n", 0, "how many lines")
	out := fs.String("out", "", "output file")
	zipf := fs.Float64("zipf", 1.1, "Zipf exponent s (> 1) of the clients' popularity (cc, pk)")
	aud := fs.String("aud", "", "pk: the assertions' aud (the token endpoint URL)")
	_ = fs.Parse(args)
	if *mpath == "" || *out == "" || *n <= 0 {
		return errors.New("-manifest, -out and a positive -n are required")
	}
	m, err := readManifest(*mpath)
	if err != nil {
		return err
	}
	p, err := m.pop()
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	switch *kind {
	case "cc":
		err = ccLines(w, p, rng, *n, *zipf)
	case "pk":
		if *aud == "" {
			return errors.New("pk needs -aud")
		}
		err = pkLines(w, p, m.PrivateKey, rng, *n, *zipf, *aud)
	case "refresh":
		err = refreshLines(w, p, rng, *n)
	case "introspect":
		err = introspectLines(w, p, rng, *n)
	default:
		err = fmt.Errorf("unknown -kind %q", *kind)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func newZipf(rng *rand.Rand, s float64, n int) (*rand.Zipf, error) {
	z := rand.NewZipf(rng, s, 1, uint64(n-1))
	if z == nil {
		return nil, fmt.Errorf("bad Zipf exponent %v (must be > 1)", s)
	}
	return z, nil
}

func ccLines(w *bufio.Writer, p *Pop, rng *rand.Rand, n int, s float64) error {
	ns := secretClients(p.Clients)
	z, err := newZipf(rng, s, ns)
	if err != nil {
		return err
	}
	for range n {
		j := secretClient(permute(int(z.Uint64()), ns))
		basic, body := p.auth(j)
		fmt.Fprintf(w, "%s\tgrant_type=client_credentials&scope=accounts%%3Aread%s\n", basic, body)
	}
	return nil
}

// pkLines signs n RS256 client assertions (RFC 7523 §2.2, §3) on every core.
func pkLines(w *bufio.Writer, p *Pop, keyPath string, rng *rand.Rand, n int, s float64, aud string) error {
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return err
	}
	key, err := readRSAKey(b)
	if err != nil {
		return err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return err
	}
	np := pkClients(p.Clients)
	z, err := newZipf(rng, s, np)
	if err != nil {
		return err
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = p.ClientID(pkClient(permute(int(z.Uint64()), np)))
	}
	lines := make([]string, n)
	var wg sync.WaitGroup
	errs := make([]error, runtime.GOMAXPROCS(0))
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += len(errs) {
				now := time.Now()
				payload, _ := json.Marshal(map[string]any{"iss": ids[i], "sub": ids[i], "aud": aud,
					"jti": jeton.NewID(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
				jws, err := signer.Sign(payload)
				if err != nil {
					errs[g] = err
					return
				}
				tok, err := jws.CompactSerialize()
				if err != nil {
					errs[g] = err
					return
				}
				lines[i] = "\tgrant_type=client_credentials&scope=accounts%3Aread" +
					"&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" + tok
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, l := range lines {
		w.WriteString(l + "\n")
	}
	return nil
}

// refreshLines spends n distinct live families, drawn uniformly: refresh tokens are
// single-use, and a bank's customers refresh in no order at all.
func refreshLines(w *bufio.Writer, p *Pop, rng *rand.Rand, n int) error {
	live := p.Families - int(float64(p.Families)*p.Expired)
	if n > live {
		return fmt.Errorf("%d lines asked of %d live families: load more families", n, live)
	}
	next := distinct(rng, p.Families, n, live)
	for made := 0; made < n; {
		f := next()
		if p.expired(f) {
			continue
		}
		_, _, tok := p.Family(f)
		basic, body := p.auth(p.familyClient(f))
		fmt.Fprintf(w, "%s\tgrant_type=refresh_token&refresh_token=%s%s\n", basic, tok, body)
		made++
	}
	return nil
}

// distinct returns a function that draws distinct indices from [0, size) uniformly:
// by rejection while few are wanted of many, else from a shuffled list of them all.
func distinct(rng *rand.Rand, size, want, avail int) func() int {
	if want <= avail/2 {
		seen := make(map[int]struct{}, want)
		return func() int {
			for {
				i := rng.IntN(size)
				if _, dup := seen[i]; !dup {
					seen[i] = struct{}{}
					return i
				}
			}
		}
	}
	perm := rng.Perm(size)
	return func() int {
		i := perm[0]
		perm = perm[1:]
		return i
	}
}

// introspectLines asks each live opaque token's own client to introspect it (RFC
// 7662 §2.1: the caller must act for the token's institution).
func introspectLines(w *bufio.Writer, p *Pop, rng *rand.Rand, n int) error {
	if p.Opaque == 0 {
		return errors.New("the population has no opaque tokens")
	}
	for i := 0; i < n; {
		o := rng.IntN(p.Opaque)
		if p.expired(o) {
			continue
		}
		_, tok := p.OpaqueToken(o)
		basic, body := p.auth(p.opaqueClient(o))
		fmt.Fprintf(w, "%s\ttoken=%s&token_type_hint=access_token%s\n", basic, tok, body)
		i++
	}
	return nil
}

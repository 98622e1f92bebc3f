package dpop_test

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dpop"
	"github.com/jeton/jeton/dpop/dpoptest"
	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// FuzzVerify: whatever a stranger sends as a DPoP header, Verify answers a proof or
// invalid_dpop_proof (never another code, never a panic), and a proof it accepts names
// a 43-character thumbprint.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	key := dpoptest.NewKey(f)
	f.Add(key.New("POST", tokenURI, now).Sign(f), "https://as.example/oauth2/token")
	f.Add(key.New("POST", tokenURI, now).WithPrivateJWK(key).Sign(f), tokenURI)
	f.Add("eyJhbGciOiJub25lIn0.e30.", tokenURI)
	f.Add("a.b.c", "https://[::1]:443/x/../y")
	store := sqlitetest.New(f)
	f.Fuzz(func(t *testing.T, proof, htu string) {
		v := &dpop.Verifier{Replay: store, Now: func() time.Time { return now }}
		p, err := v.Verify(t.Context(), dpop.Request{Proofs: []string{proof}, Method: "POST", URI: htu})
		if err != nil {
			if c := jeton.AsError(err).Code; c != jeton.CodeInvalidDPoPProof {
				t.Fatalf("code %s", c)
			}
			return
		}
		if len(p.JKT) != 43 {
			t.Fatalf("jkt %q", p.JKT)
		}
		_ = p.Wait()
	})
}

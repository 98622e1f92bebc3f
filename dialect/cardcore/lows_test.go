package cardcore_test

import (
	"crypto/elliptic"
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton/sqlite/sqlitetest"
)

// highS returns an ES256 JWS with its signature's other valid form (r, n-s), which
// anyone who saw the JWS can make without the key.
func highS(t *testing.T, jws string) string {
	t.Helper()
	i := strings.LastIndexByte(jws, '.')
	sig, err := base64.RawURLEncoding.DecodeString(jws[i+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("not an ES256 signature: %v", err)
	}
	s := new(big.Int).Sub(elliptic.P256().Params().N, new(big.Int).SetBytes(sig[32:]))
	s.FillBytes(sig[32:])
	return jws[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// TestJTILessAssertionSingleUse: an assertion without jti (the vendor's template) is
// accepted once; its identical replay, its high-S twin and another signature of the
// same header and claims are all refused, on both stores.
func TestJTILessAssertionSingleUse(t *testing.T) {
	for name, open := range map[string]func(*testing.T) store{
		"sqlite":   func(t *testing.T) store { return sqlitetest.New(t) },
		"postgres": newPostgres,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEndpointOn(t, open(t))
			ec := newECKey(t)
			a := e.createApp(t, e.keyA, ec, publicPEM(t, ec))
			first := sign(t, ec, jose.ES256, e.claims(a))
			if got := e.call(t, request{body: tokenBody(ccBody(a, first))}); got.status != http.StatusOK {
				t.Fatalf("first use: %s", got.raw)
			}
			for what, again := range map[string]string{"identical replay": first, "high-S twin": highS(t, first),
				"re-signed claims": sign(t, ec, jose.ES256, e.claims(a))} {
				got := e.call(t, request{body: tokenBody(ccBody(a, again))})
				if got.status != http.StatusUnauthorized {
					t.Errorf("%s: HTTP %d %s; want 401", what, got.status, got.raw)
				}
				if !strings.Contains(got.raw, "used before") {
					t.Errorf("%s: %s does not say it is a replay", what, got.raw)
				}
			}
			e.clock.Advance(time.Second)
			if got := e.call(t, request{body: tokenBody(ccBody(a, sign(t, ec, jose.ES256, e.claims(a))))}); got.status != http.StatusOK {
				t.Fatalf("a new assertion after the refusals: %s", got.raw)
			}
		})
	}
}

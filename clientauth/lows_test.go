package clientauth_test

import (
	"context"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

// signLowS signs cl with ecA in low-S form (clientauth.LowSSigner).
func signLowS(t *testing.T, kid string, cl any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: clientauth.LowSSigner(ecA)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(cl).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flipS returns the ES256 assertion with its signature's other valid form (r, n-s),
// which anyone who saw the assertion can make.
func flipS(t *testing.T, assertion string) string {
	t.Helper()
	i := strings.LastIndexByte(assertion, '.')
	sig, err := base64.RawURLEncoding.DecodeString(assertion[i+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("not an ES256 signature: %v", err)
	}
	n := elliptic.P256().Params().N
	s := new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:]))
	s.FillBytes(sig[32:])
	return assertion[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

func TestLowSSignerIsLowS(t *testing.T) {
	testKeys(t)
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	for range 64 {
		a := signLowS(t, "", valid("es-client", time.Now()))
		sig, _ := base64.RawURLEncoding.DecodeString(a[strings.LastIndexByte(a, '.')+1:])
		if new(big.Int).SetBytes(sig[32:]).Cmp(half) > 0 {
			t.Fatal("LowSSigner made a high-S signature")
		}
	}
}

// TestHighSAccepted: by default an ES256 signature is accepted in either form (RFC 7518
// §3.4; ordinary signers make high-S half the time), and the twin of a used assertion
// is refused as the replay it is.
func TestHighSAccepted(t *testing.T) {
	f := newFixture(t)
	a := signLowS(t, "ec-1", valid("es-client", f.clock()))
	if _, err := f.authenticate("es-client", flipS(t, a)); err != nil {
		t.Fatalf("high-S form of a fresh assertion: %v", err)
	}
	_, err := f.authenticate("es-client", a)
	if err == nil {
		t.Fatal("low-S twin of a used assertion was accepted")
	}
	if r := reasonOf(t, err); r != jeton.ReasonReplay {
		t.Fatalf("reason %q; want %q", r, jeton.ReasonReplay)
	}
}

// TestHighSRefused: with RequireLowS (serve --require-low-s) an ES256 assertion whose
// signature is in high-S form is refused even though it verifies, and refusing it does
// not use up the jti of its low-S twin.
func TestHighSRefused(t *testing.T) {
	f := newFixtureWith(t, func(c *clientauth.AssertionConfig) { c.RequireLowS = true })
	a := signLowS(t, "ec-1", valid("es-client", f.clock()))
	_, err := f.authenticate("es-client", flipS(t, a))
	if err == nil {
		t.Fatal("high-S twin of a valid assertion was accepted")
	}
	if r := reasonOf(t, err); r != jeton.ReasonBadAssertion {
		t.Fatalf("reason %q; want %q", r, jeton.ReasonBadAssertion)
	}
	var e *jeton.Error
	if errors.As(err, &e); !strings.Contains(e.Cause.Error(), "low-S") {
		t.Fatalf("cause %q does not say why", e.Cause)
	}
	if _, err := f.authenticate("es-client", a); err != nil {
		t.Fatalf("low-S original after its twin was refused: %v", err)
	}
}

// profileVerify verifies assertion for es-client under a Profile (jti optional).
func profileVerify(t *testing.T, f *fixture, assertion string) error {
	t.Helper()
	a, err := clientauth.NewAssertion(clientauth.AssertionConfig{
		Audiences: []string{tokenURL}, Now: f.clock, Replay: f.store,
		Keys: clientauth.NewKeys(clientauth.KeysConfig{Now: f.clock}),
		Profile: &clientauth.Profile{Issuer: func(context.Context, *jeton.Client, clientauth.Credentials) (string, error) {
			return "", nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.store.GetClient(t.Context(), "es-client")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := a.Verify(t.Context(), &c, clientauth.Credentials{Presented: clientauth.PresentedAssertion,
		ClientID: "es-client", Assertion: assertion})
	if err != nil {
		return err
	}
	return rec.Wait(t.Context())
}

// TestProfileReplayKeysOnSigningInput: a jti-less assertion is single-use by what was
// signed (header.payload), not by its signature bytes: another signature of the same
// header and claims (ECDSA signs with a fresh nonce each time) is a replay too.
func TestProfileReplayKeysOnSigningInput(t *testing.T) {
	f := newFixture(t)
	cl := valid("es-client", f.clock())
	cl.JTI = ""
	first, second := signLowS(t, "", cl), signLowS(t, "", cl)
	if first == second {
		t.Fatal("two ECDSA signatures of one message are equal")
	}
	if err := profileVerify(t, f, first); err != nil {
		t.Fatalf("first use: %v", err)
	}
	for name, again := range map[string]string{"re-signed": second, "high-S twin": flipS(t, first)} {
		err := profileVerify(t, f, again)
		var e *jeton.Error
		if !errors.As(err, &e) || e.Code != jeton.CodeInvalidClient {
			t.Fatalf("%s: err %v; want invalid_client", name, err)
		}
		if name == "re-signed" && e.Reason != jeton.ReasonReplay {
			t.Fatalf("%s: reason %q; want %q", name, e.Reason, jeton.ReasonReplay)
		}
	}
}

package token_test

import (
	"context"
	"testing"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/token"
)

// countingGate records what the engine tells a token.Gate.
type countingGate struct {
	admitted, failed, checked int
	refuse                    bool
}

func (g *countingGate) Admit(context.Context, token.Request) error {
	g.admitted++
	if g.refuse {
		return jeton.Errorf(jeton.CodeRateLimited, jeton.ReasonRateAddress, "too many requests")
	}
	return nil
}
func (g *countingGate) AuthFailed(context.Context, token.Request) { g.failed++ }
func (g *countingGate) Check(context.Context, *token.ClientRequest) error {
	g.checked++
	return nil
}

// A Gate among the policies is asked before authentication, told of failed
// authentications only, and checked as a policy after a success; a refusal by Admit
// comes before the client's secret is looked at.
func TestEngineGate(t *testing.T) {
	g := &countingGate{}
	f := newFixture(t, g)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := f.engine.Token(ctx, ccRequest(nil, "")); err != nil {
			t.Fatal(err)
		}
	}
	bad := ccRequest(nil, "")
	bad.Credentials.Secret = "wrong"
	if _, err := f.engine.Token(ctx, bad); jeton.AsError(err).Code != jeton.CodeInvalidClient {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := f.engine.Authenticate(ctx, bad.Credentials); jeton.AsError(err).Code != jeton.CodeInvalidClient {
		t.Fatalf("wrong secret at introspection: %v", err)
	}
	if g.admitted != 5 || g.failed != 2 || g.checked != 3 {
		t.Fatalf("admitted %d failed %d checked %d, want 5, 2 (failures only), 3 (successes)", g.admitted, g.failed, g.checked)
	}
	g.refuse = true
	_, err := f.engine.Token(ctx, bad)
	if e := jeton.AsError(err); e.Code != jeton.CodeRateLimited || e.Status != 429 {
		t.Fatalf("refused by the gate: %v", err)
	}
	if g.failed != 2 {
		t.Fatal("a request the gate refused was authenticated")
	}
}

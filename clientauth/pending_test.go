package clientauth_test

import (
	"context"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
)

func (f *fixture) authenticatePending(clientID, assertion string) (*jeton.Client, clientauth.Pending, error) {
	return f.auth.Authenticate(context.Background(), clientauth.Credentials{
		Presented: clientauth.PresentedAssertion, ClientID: clientID, Assertion: assertion,
		AssertionType: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
}

// A started replay record is reported by Wait, with the answer of a record written at
// once; every check before it still fails at once. SQLite queues the record itself
// (clientauth.ReplayStarter).
func TestPendingReplayRecord(t *testing.T) {
	checkPending(t, newFixture(t))
}

// syncOnly hides the store's StartUseAssertionID: a Pending then runs UseAssertionID on
// a goroutine, as it does over PostgreSQL.
type syncOnly struct{ jeton.AssertionStore }

func TestPendingReplayRecordWithoutStarter(t *testing.T) {
	f := newFixture(t)
	a, err := clientauth.NewAssertion(clientauth.AssertionConfig{Audiences: []string{issuer, tokenURL}, Now: f.clock,
		Replay: syncOnly{f.store}, Keys: clientauth.NewKeys(clientauth.KeysConfig{Now: f.clock})})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = &clientauth.Authenticator{Clients: f.auth.Clients, Now: f.clock,
		Methods: map[jeton.AuthMethod]clientauth.Method{jeton.AuthPrivateKey: a}}
	checkPending(t, f)
}

func checkPending(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	a := sign(t, jose.RS256, rsaA, "", nil, valid("rs-client", f.clock()))

	c, p, err := f.authenticatePending("rs-client", a)
	if err != nil || c.ID != "rs-client" {
		t.Fatalf("first use: %v, %v", c, err)
	}
	p.Start(ctx)
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("first use recorded: %v", err)
	}

	_, p, err = f.authenticatePending("rs-client", a)
	if err != nil {
		t.Fatalf("replay refused before its record ran: %v", err)
	}
	p.Start(ctx)
	if r := reasonOf(t, p.Wait(ctx)); r != jeton.ReasonReplay {
		t.Fatalf("replay reason = %q", r)
	}
	if r := reasonOf(t, p.Wait(ctx)); r != jeton.ReasonReplay {
		t.Fatalf("second Wait reason = %q", r)
	}

	// A forged assertion fails before any record is started.
	forged := sign(t, jose.RS256, rsaC, "", nil, valid("rs-client", f.clock()))
	_, p, err = f.authenticatePending("rs-client", forged)
	if r := reasonOf(t, err); r != jeton.ReasonBadAssertion {
		t.Fatalf("forged reason = %q", r)
	}
	p.Start(ctx)
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("forged assertion started a record: %v", err)
	}
	var none clientauth.Pending
	none.Start(ctx)
	if err := none.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

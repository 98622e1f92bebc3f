// Package clientauth authenticates OAuth clients at the token, introspection and
// revocation endpoints (RFC 6749 §2.3, RFC 7523 §2.2, OIDC Core §9).
//
// A dialect reports what the request presented (Credentials); the Authenticator looks
// the client up, checks that the presentation matches the client's one registered
// method, and runs that method. Every failure is the same invalid_client answer, so an
// error never tells a stranger whether a client id exists; the precise Reason goes to
// the log only.
package clientauth

import (
	"context"
	"crypto/x509"
	"errors"
	"time"

	"github.com/jeton/jeton"
)

// Presentation is how a request carried its client credentials.
type Presentation int

// Presentations. Assertion covers both JWT methods: which one applies is decided by
// the client's registration (RFC 7523 §2.2 does not distinguish them on the wire).
const (
	PresentedNothing   Presentation = iota
	PresentedBasic                  // Authorization: Basic (RFC 6749 §2.3.1)
	PresentedPost                   // client_id + client_secret in the body (RFC 6749 §2.3.1)
	PresentedAssertion              // client_assertion (RFC 7521 §4.2)
	PresentedClientID               // client_id alone: a public client (RFC 6749 §2.1)
)

// Credentials is what a dialect decoded from a request; nothing in it is verified.
type Credentials struct {
	Presented     Presentation
	ClientID      string
	Secret        string
	Assertion     string
	AssertionType string
	// AppKey is a dialect's key for the application the request claims to be (CardCore's
	// institutionId); a Profile's Issuer checks it against the client. "" elsewhere.
	AppKey string
	// TLSChain is the certificate chain the client presented in the TLS handshake
	// (--tls-client-certs request), leaf first, unverified: the handshake checks only
	// that it is well-formed. RFC 8705 §2 client authentication decides what it proves
	// (a PKI chain or a client's registered self-signed certificate). Nil without one.
	TLSChain []*x509.Certificate
	// peeked is what PeekClientID decoded of Assertion, so Verify need not decode it
	// again; nil when nobody peeked.
	peeked *peeked
}

// ClientSource finds clients by id; clientcache.Cache implements it over a Store.
type ClientSource interface {
	Client(ctx context.Context, id string) (jeton.Client, error)
}

// Method verifies one registered authentication method's proof. A method that must
// write to decide (an assertion's single-use record) returns that write unwritten;
// the others return the zero Pending.
type Method interface {
	Verify(ctx context.Context, c *jeton.Client, cred Credentials) (Pending, error)
}

// Authenticator runs the client's registered method. Methods absent from the map are
// not enabled on this server (DESIGN rule 4: deny by default).
type Authenticator struct {
	Clients ClientSource
	Methods map[jeton.AuthMethod]Method
	Now     func() time.Time
}

// Authenticate returns the authenticated client and its method's Pending record, or an
// invalid_client error. The client is authenticated only once the caller's
// Pending.Wait returned nil.
func (a *Authenticator) Authenticate(ctx context.Context, cred Credentials) (*jeton.Client, Pending, error) {
	if cred.Presented == PresentedNothing || cred.ClientID == "" {
		return nil, Pending{}, failed(jeton.ReasonClientUnknown, errors.New("no client credentials presented"))
	}
	c, err := a.Clients.Client(ctx, cred.ClientID)
	if errors.Is(err, jeton.ErrNotFound) {
		// Spend the time a real comparison would, so timing doesn't reveal existence.
		jeton.DigestEqual(cred.Secret, nil)
		return nil, Pending{}, failed(jeton.ReasonClientUnknown, err)
	}
	if err != nil {
		return nil, Pending{}, jeton.ServerError(err)
	}
	rec, err := a.verify(ctx, &c, cred)
	if err != nil {
		return nil, Pending{}, err
	}
	if c.Status != jeton.ClientActive {
		// The record is written first: a replay is reported as one, whatever the status.
		if err := rec.Wait(ctx); err != nil {
			return nil, Pending{}, err
		}
		return nil, Pending{}, inactive(c.Status)
	}
	return &c, rec, nil
}

// verify runs the client's registered method, if the presentation fits it.
func (a *Authenticator) verify(ctx context.Context, c *jeton.Client, cred Credentials) (Pending, error) {
	method, ok := a.Methods[c.AuthMethod]
	if !ok || !presentationFits(cred.Presented, c.AuthMethod) {
		return Pending{}, failed(jeton.ReasonWrongAuthMethod, errors.New("client registered for "+string(c.AuthMethod)))
	}
	return method.Verify(ctx, c, cred)
}

// inactive is the failure of a client that proved its credentials but may not use
// them. Only a disabled client gets ReasonClientInactive (a dialect may tell it, as
// AbbeyCross's 403 CLIENT_DISABLED does, since it proved it holds the secret); a
// deleted client is reported like an unknown one. Credentials are checked first, so
// a stranger never learns a client id's status.
func inactive(st jeton.ClientStatus) *jeton.Error {
	reason := jeton.ReasonClientInactive
	if st != jeton.ClientDisabled {
		reason = jeton.ReasonClientUnknown
	}
	return failed(reason, errors.New("client is "+string(st)))
}

// presentationFits enforces "each client has exactly one registered method; a request
// that uses another is refused" (RFC 7591 §2 token_endpoint_auth_method).
func presentationFits(p Presentation, m jeton.AuthMethod) bool {
	switch m {
	case jeton.AuthSecretBasic:
		return p == PresentedBasic
	case jeton.AuthSecretPost:
		return p == PresentedPost
	case jeton.AuthSecretJWT, jeton.AuthPrivateKey:
		return p == PresentedAssertion
	case jeton.AuthNone, jeton.AuthTLSClient, jeton.AuthSelfSignedTLS:
		// RFC 8705 §2: the client_id in the body, the proof in the TLS handshake.
		return p == PresentedClientID
	}
	return false
}

// failed is the single invalid_client answer of RFC 6749 §5.2; reason and cause are for
// the log.
func failed(reason jeton.Reason, cause error) *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidClient, reason, "client authentication failed").WithCause(cause)
}

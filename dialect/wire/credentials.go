package wire

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clientauth"
	"github.com/jeton/jeton/internal/clientcert"
)

// JWTBearerAssertion is the client_assertion_type of RFC 7523 §2.2.
const JWTBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Credentials finds the client's credentials of a form request in the Authorization
// header or the body. RFC 6749 §2.3: a client "MUST NOT use more than one
// authentication method in each request", so a request with two is invalid_request.
func Credentials(r *http.Request, form map[string]string) (clientauth.Credentials, error) {
	cred, err := formCredentials(r, form)
	cred.TLSChain = TLSChain(r)
	return cred, err
}

// TLSChain is the certificate chain r's client presented in the TLS handshake, or that
// a trusted proxy forwarded (--client-cert-header); nil over plain HTTP or when it
// presented none (clientauth.Credentials.TLSChain).
func TLSChain(r *http.Request) []*x509.Certificate { return clientcert.Chain(r) }

func formCredentials(r *http.Request, form map[string]string) (clientauth.Credentials, error) {
	_, hasSecret := form["client_secret"]
	_, hasAssertion := form["client_assertion"]
	if h := r.Header.Get("Authorization"); h != "" {
		if hasSecret || hasAssertion {
			return clientauth.Credentials{}, multipleAuth()
		}
		cred, err := Basic(h)
		if err != nil {
			return cred, err
		}
		// §3.2.1 lets a client send client_id in the body too; it must then agree.
		if bodyID, ok := form["client_id"]; ok && bodyID != cred.ClientID {
			return clientauth.Credentials{}, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMultipleAuth, "client_id does not match the Authorization header").WithParam("client_id")
		}
		return cred, nil
	}
	cred := clientauth.Credentials{ClientID: form["client_id"]}
	switch {
	case hasAssertion && hasSecret:
		return cred, multipleAuth()
	case hasAssertion:
		return assertion(cred, form)
	case hasSecret:
		cred.Presented, cred.Secret = clientauth.PresentedPost, form["client_secret"]
		if cred.ClientID == "" {
			return cred, Missing("client_id")
		}
	case cred.ClientID != "":
		cred.Presented = clientauth.PresentedClientID
	}
	return cred, nil
}

// assertion reads a client assertion (RFC 7521 §4.2: client_assertion_type is
// required with client_assertion).
func assertion(cred clientauth.Credentials, form map[string]string) (clientauth.Credentials, error) {
	cred.Presented = clientauth.PresentedAssertion
	cred.Assertion, cred.AssertionType = form["client_assertion"], form["client_assertion_type"]
	if cred.AssertionType == "" {
		return cred, Missing("client_assertion_type")
	}
	if cred.AssertionType != JWTBearerAssertion {
		return cred, jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonNone, "client_assertion_type is not supported").WithParam("client_assertion_type")
	}
	// RFC 7521 §4.2 makes client_id optional beside an assertion, and RFC 7523 §3
	// item 2 has sub name the client: look the client up by the unverified sub.
	// The method verifies everything, including that a client_id sent with the
	// assertion equals iss and sub.
	if cred.ClientID == "" {
		id, err := cred.PeekClientID()
		if err != nil {
			return cred, jeton.Errorf(jeton.CodeInvalidClient, jeton.ReasonBadAssertion, "client authentication failed").WithCause(err)
		}
		cred.ClientID = id
	}
	return cred, nil
}

func multipleAuth() *jeton.Error {
	return jeton.Errorf(jeton.CodeInvalidRequest, jeton.ReasonMultipleAuth, "more than one client authentication method was used")
}

// Basic reads the credentials of an Authorization header h holding HTTP Basic client
// authentication (RFC 6749 §2.3.1). A header that is not valid Basic is invalid_client.
func Basic(h string) (clientauth.Credentials, error) {
	id, secret, err := ParseBasic(h)
	if err != nil {
		return clientauth.Credentials{}, jeton.Errorf(jeton.CodeInvalidClient, jeton.ReasonMalformedBody, "client authentication failed").WithCause(err)
	}
	return clientauth.Credentials{Presented: clientauth.PresentedBasic, ClientID: id, Secret: secret}, nil
}

// ParseBasic decodes HTTP Basic client credentials (RFC 6749 §2.3.1, RFC 7617): the
// client id and secret are form-urlencoded before base64, so both are unescaped.
func ParseBasic(h string) (id, secret string, err error) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", errors.New("authorization scheme is not Basic")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", errors.New("basic credentials are not base64")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("basic credentials have no colon")
	}
	if id, err = url.QueryUnescape(user); err != nil {
		return "", "", errors.New("client id is not form-urlencoded")
	}
	if secret, err = url.QueryUnescape(pass); err != nil {
		return "", "", errors.New("client secret is not form-urlencoded")
	}
	if checkField("client_id", id) != nil || checkField("client_secret", secret) != nil || id == "" {
		return "", "", errors.New("basic credentials have invalid characters")
	}
	return id, secret, nil
}

// ClientForm reads a client-authenticated form POST the way the token endpoint does
// (the form rules, one authentication method), for other endpoints that authenticate
// clients alike: pushed authorization requests (RFC 9126 §2.1). The form still holds
// the credential fields.
func (b Body) ClientForm() (map[string]string, clientauth.Credentials, error) {
	form, err := b.Form()
	if err != nil {
		return nil, clientauth.Credentials{}, err
	}
	cred, err := Credentials(b.r, form)
	return form, cred, err
}

package oauth2

import (
	"net/http"

	"github.com/jeton/jeton/clientauth"
)

// DecodeClientForm reads a client-authenticated form POST the way the token endpoint
// does (content type, size and field bounds, no repeated parameter, one auth method),
// for other endpoints that authenticate clients alike: pushed authorization requests
// (RFC 9126 §2.1). The form still holds the credential fields.
func DecodeClientForm(r *http.Request) (map[string]string, clientauth.Credentials, error) {
	form, err := readForm(r)
	if err != nil {
		return nil, clientauth.Credentials{}, err
	}
	cred, err := decodeCredentials(r, form)
	return form, cred, err
}

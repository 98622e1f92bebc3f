package httpapi

import (
	"net/http"

	"github.com/jeton/jeton/internal/clientcert"
)

// ClientCerts believes the client certificate a TLS-terminating proxy forwards in
// header (--client-cert-header: URL-encoded PEM, as nginx's $ssl_client_escaped_cert,
// or an Envoy x-forwarded-client-cert element) only when the request's TCP peer is one
// of the trusted proxies (RFC 8705 §2 and §3 then apply to it as to a certificate of
// jeton's own handshake). From anyone else the header is ignored, since a client could
// name any certificate in it. A malformed header from a trusted proxy counts as no
// certificate: the methods that need one refuse the request. An empty header name
// turns the feature off.
func ClientCerts(header string, t TrustedProxies, next http.Handler) http.Handler {
	if header == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.Header.Get(header)
		if v == "" || len(t.prefixes) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if peer := peerAddr(r.RemoteAddr); !peer.IsValid() || !t.trusts(peer) {
			next.ServeHTTP(w, r)
			return
		}
		if chain, err := clientcert.Parse(v); err == nil {
			r = r.WithContext(clientcert.With(r.Context(), chain))
		}
		next.ServeHTTP(w, r)
	})
}

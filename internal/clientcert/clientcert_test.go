package clientcert_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jeton/jeton/internal/clientcert"
	"github.com/jeton/jeton/internal/testcert"
)

// TestParse: nginx's escaped PEM and Envoy's XFCC Cert= give the chain, leaf first;
// everything else is an error.
func TestParse(t *testing.T) {
	leaf, ca := testcert.New(t, "leaf"), testcert.New(t, "ca")
	chain := url.PathEscape(string(leaf.CertPEM) + string(ca.CertPEM))
	for name, v := range map[string]string{
		"nginx": chain,
		"envoy": `By=spiffe://x;Hash=ab;Cert="` + url.PathEscape(string(leaf.CertPEM)) + `";Chain="` + url.PathEscape(string(ca.CertPEM)) + `"`,
	} {
		got, err := clientcert.Parse(v)
		if err != nil || len(got) != 2 || !got[0].Equal(leaf.Cert) || !got[1].Equal(ca.Cert) {
			t.Errorf("%s: %v %d", name, err, len(got))
		}
	}
	for name, v := range map[string]string{
		"empty": "", "not encoded": "%zz", "no PEM": "hello", "a key": url.PathEscape(string(leaf.KeyPEM)),
		"bad DER":   url.PathEscape("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		"oversized": strings.Repeat("a", clientcert.MaxHeaderBytes+1),
	} {
		if got, err := clientcert.Parse(v); err == nil {
			t.Errorf("%s: accepted %d certificates", name, len(got))
		}
	}
}

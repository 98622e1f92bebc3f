package clientcert_test

import (
	"net/url"
	"testing"

	"github.com/jeton/jeton/internal/clientcert"
	"github.com/jeton/jeton/internal/testcert"
)

// FuzzParse: no input panics, and an accepted one holds at least one certificate.
func FuzzParse(f *testing.F) {
	f.Add(url.PathEscape(string(testcert.New(f, "x").CertPEM)))
	f.Add(`Cert="%2D%2D"`)
	f.Fuzz(func(t *testing.T, v string) {
		if got, err := clientcert.Parse(v); err == nil && len(got) == 0 {
			t.Fatal("accepted without a certificate")
		}
	})
}

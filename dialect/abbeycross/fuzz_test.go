package abbeycross_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jeton/jeton/dialect/abbeycross"
)

// FuzzDecodeToken: any body either fails or yields credentials within the bounds the
// decoder promises (non-empty, printable ASCII, at most the maximum length).
func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{`{"client_id":"a","client_secret":"b"}`, `[]`, `{"client_id":1}`, `{"client_id":"a","client_id":"b"}`,
		`{"client_id":"a","client_secret":"b","scope":"x y"}`, "{\"client_id\":\"\xff\"}", `{"a":{"b":[{}]}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/v1/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		req, err := abbeycross.DecodeToken(r)
		if err != nil {
			return
		}
		id, sec := req.Credentials.ClientID, req.Credentials.Secret
		if id == "" || sec == "" || len(id) > abbeycross.MaxClientID || len(sec) > abbeycross.MaxSecretBytes {
			t.Fatalf("accepted id %q secret %q", id, sec)
		}
		for _, s := range []string{id, sec} {
			for i := 0; i < len(s); i++ {
				if s[i] < 0x20 || s[i] > 0x7e {
					t.Fatalf("accepted a non-VSCHAR byte in %q", s)
				}
			}
		}
	})
}

package rar

import (
	"encoding/json"
	"testing"
)

// FuzzParse: whatever a client sends, Parse does not panic; what it accepts is valid,
// compact JSON within the bound, the consent page can word it, and it narrows to
// itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{payment, accounts, `[]`, `[{"type":"tax_filing"}]`, `[1]`, `{}`, `[{"type":"payment_initiation","instructedAmount":{"amount":"1","currency":"EUR"},"creditorName":"x","creditorAccount":{"iban":"DE02100100109307118603"}}]`} {
		f.Add(s)
	}
	r, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, e := r.Parse(in, both)
		if e != nil {
			if got != nil {
				t.Fatal("refused but returned a value")
			}
			return
		}
		if in == "" {
			return
		}
		if !json.Valid(got) || len(got) > MaxBytes {
			t.Fatalf("accepted %q as %s", in, got)
		}
		if len(Describe(got)) == 0 {
			t.Fatalf("nothing to show for %s", got)
		}
		if _, e := Narrow(got, got); e != nil {
			t.Fatalf("does not narrow to itself: %v", e)
		}
	})
}

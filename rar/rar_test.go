package rar

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jeton/jeton"
)

const payment = `[{"type":"payment_initiation","actions":["initiate"],
 "instructedAmount":{"currency":"EUR","amount":"123.50"},
 "creditorName":"Merchant <A> & Co","creditorAccount":{"iban":"DE02100100109307118603"},
 "remittanceInformationUnstructured":"Ref 42"}]`

const accounts = `[{"type":"account_information","actions":["list_accounts","read_balances"],
 "accounts":[{"iban":"FR7630006000011234567890189"}]}]`

var both = []string{TypePaymentInitiation, TypeAccountInformation}

func registry(t *testing.T) *Registry {
	t.Helper()
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseAcceptsTheShippedTypes(t *testing.T) {
	r := registry(t)
	for _, in := range []string{payment, accounts} {
		got, err := r.Parse(in, both)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if strings.ContainsAny(string(got), "\n ") && !strings.Contains(string(got), "Merchant <A>") {
			t.Errorf("not compacted: %s", got)
		}
	}
	if got, err := r.Parse("", both); got != nil || err != nil {
		t.Errorf("empty parameter: %s, %v; want nothing requested", got, err)
	}
	if types := r.Types(); len(types) != 2 || types[0] != TypeAccountInformation || types[1] != TypePaymentInitiation {
		t.Errorf("Types() = %v", types)
	}
}

// RFC 9396 §5: each refusal is invalid_authorization_details.
func TestParseRefuses(t *testing.T) {
	r := registry(t)
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"type":"account_information","actions":["list_accounts"]},`, MaxEntries+1), ",") + "]"
	cases := map[string]struct {
		in      string
		allowed []string
		want    string
	}{
		"type not registered for the client": {payment, []string{TypeAccountInformation}, "not registered"},
		"type without a schema":              {`[{"type":"tax_filing"}]`, []string{"tax_filing"}, "not registered"},
		"amount fails the schema":            {strings.Replace(payment, `"123.50"`, `"12,3"`, 1), both, "does not match its schema"},
		"a member the page cannot show":      {strings.Replace(payment, `"actions"`, `"hidden":1,"actions"`, 1), both, "does not match its schema"},
		"unknown permission":                 {strings.Replace(accounts, `"read_balances"`, `"move_money"`, 1), both, "does not match its schema"},
		"malformed JSON":                     {`[{"type":"payment_initiation"`, both, "not JSON"},
		"an object, not an array":            {`{"type":"payment_initiation"}`, both, "not a JSON array"},
		"a string":                           {`"payment_initiation"`, both, "not a JSON array"},
		"an empty array":                     {`[]`, both, "empty array"},
		"an entry that is not an object":     {`[1]`, both, "not an object"},
		"no type":                            {`[{"actions":["initiate"]}]`, both, "no type"},
		"type of the wrong JSON kind":        {`[{"type":7}]`, both, "no type"},
		"too many entries":                   {many, both, "over 8 entries"},
		"oversized once compacted":           {`[{"type":"payment_initiation","creditorName":"` + strings.Repeat("x", MaxBytes) + `"}]`, both, "once compacted"},
		"oversized as sent":                  {`[` + strings.Repeat(" ", MaxInputBytes) + `]`, both, "over 8192 bytes"},
		"trailing data":                      {payment + `x`, both, "not JSON"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := r.Parse(tc.in, tc.allowed)
			if err == nil {
				t.Fatalf("accepted: %s", got)
			}
			if err.Code != jeton.CodeInvalidAuthorizationDetails || !strings.Contains(err.Description, tc.want) {
				t.Errorf("got %s %q, want invalid_authorization_details with %q", err.Code, err.Description, tc.want)
			}
		})
	}
}

// RFC 9396 §7.1: a subset of what was granted, never a widening or a change.
func TestNarrow(t *testing.T) {
	r := registry(t)
	granted, _ := r.Parse(`[`+payment[1:len(payment)-1]+`,`+accounts[1:len(accounts)-1]+`]`, both)
	pay, _ := r.Parse(payment, both)
	acc, _ := r.Parse(accounts, both)
	if got, err := Narrow(nil, granted); err != nil || string(got) != string(granted) {
		t.Errorf("nothing requested: %s %v, want the grant's", got, err)
	}
	if got, err := Narrow(acc, granted); err != nil || string(got) != string(acc) {
		t.Errorf("subset: %s %v", got, err)
	}
	if _, err := Narrow(granted, granted); err != nil {
		t.Errorf("the same: %v", err)
	}
	// Reordered members are the same JSON value.
	reordered := json.RawMessage(`[{"actions":["list_accounts","read_balances"],"type":"account_information","accounts":[{"iban":"FR7630006000011234567890189"}]}]`)
	if _, err := Narrow(reordered, granted); err != nil {
		t.Errorf("reordered members: %v", err)
	}
	widened := json.RawMessage(strings.Replace(string(acc), `"read_balances"`, `"read_balances","read_transactions"`, 1))
	twice := json.RawMessage(`[` + string(pay[1:len(pay)-1]) + `,` + string(pay[1:len(pay)-1]) + `]`)
	bigger := json.RawMessage(strings.Replace(string(pay), `"123.50"`, `"999.00"`, 1))
	for name, req := range map[string]json.RawMessage{"widened": widened, "the same payment twice": twice, "another amount": bigger} {
		if _, err := Narrow(req, granted); err == nil || err.Code != jeton.CodeInvalidAuthorizationDetails {
			t.Errorf("%s: %v, want invalid_authorization_details", name, err)
		}
	}
	if _, err := Narrow(acc, nil); err == nil || err.Code != jeton.CodeInvalidAuthorizationDetails {
		t.Errorf("details on a grant without any: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	r := registry(t)
	d, _ := r.Parse(payment, both)
	got := Describe(d)
	if len(got) != 1 || got[0].Title != "Make a payment" {
		t.Fatalf("payment: %+v", got)
	}
	want := map[string]string{"Amount": "123.50 EUR", "To": "Merchant <A> & Co", "Their account": "DE02100100109307118603", "Reference": "Ref 42", "The app may": "start the payment"}
	for _, l := range got[0].Lines {
		if want[l.Label] != l.Value {
			t.Errorf("%s = %q, want %q", l.Label, l.Value, want[l.Label])
		}
		delete(want, l.Label)
	}
	if len(want) != 0 {
		t.Errorf("missing lines: %v", want)
	}
	a, _ := r.Parse(accounts, both)
	acc := Describe(a)[0]
	if acc.Lines[0] != (Line{"Accounts", "FR7630006000011234567890189"}) || acc.Lines[2] != (Line{"Permission", "See your balances"}) {
		t.Errorf("accounts: %+v", acc)
	}
	other := Describe(json.RawMessage(`[{"type":"tax_filing","year":2026,"forms":["A","B"],"joint":true}]`))[0]
	if other.Title != "Access of type “tax_filing”" || len(other.Lines) != 4 || other.Lines[0] != (Line{"forms[1]", "A"}) || other.Lines[2] != (Line{"joint", "yes"}) {
		t.Errorf("other type: %+v", other)
	}
}

// An operator replaces a shipped schema and adds a type with a directory of files.
func TestLoadDirReplacesAndExtends(t *testing.T) {
	dir := t.TempDir()
	strict := `{"type":"object","required":["type","creditorName"],"properties":{"creditorName":{"const":"Only Me"}}}`
	if err := os.WriteFile(filepath.Join(dir, "payment_initiation.json"), []byte(strict), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tax_filing.json"), []byte(`{"type":"object","required":["year"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{TypePaymentInitiation, "tax_filing"}
	if _, e := r.Parse(payment, allowed); e == nil {
		t.Error("the replaced schema still accepts the shipped example")
	}
	if _, e := r.Parse(`[{"type":"payment_initiation","creditorName":"Only Me"}]`, allowed); e != nil {
		t.Errorf("replaced schema: %v", e)
	}
	if _, e := r.Parse(`[{"type":"tax_filing","year":2026}]`, allowed); e != nil {
		t.Errorf("added type: %v", e)
	}
	if !r.Known(TypeAccountInformation) {
		t.Error("a shipped type not in the directory was dropped")
	}
	for name, doc := range map[string]string{
		"broken.json":   `{"type":`,
		"remote.json":   `{"$ref":"https://schemas.example/x.json"}`,
		"bad type.json": `{}`,
	} {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, name), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(d); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory loaded")
	}
}

package rar

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Entry is one authorization_details object as the customer reads it on the consent
// page: a title and labelled lines. The template escapes every string.
type Entry struct {
	Title string
	Lines []Line
}

// Line is one labelled value.
type Line struct {
	Label string
	Value string
}

// maxLines bounds the key/value list of a type jeton has no wording for.
const maxLines = 24

// Describe turns validated authorization_details into what the consent page shows:
// a payment as amount, currency and creditor, an account access as the accounts and
// the permissions, and any other type as a readable key/value list (never raw JSON).
func Describe(details json.RawMessage) []Entry {
	if details == nil {
		return nil
	}
	items, err := decodeValues(details)
	if err != nil {
		return nil
	}
	out := make([]Entry, 0, len(items))
	for _, it := range items {
		obj, _ := it.(map[string]any)
		switch obj["type"] {
		case TypePaymentInitiation:
			out = append(out, describePayment(obj))
		case TypeAccountInformation:
			out = append(out, describeAccounts(obj))
		default:
			out = append(out, describeOther(obj))
		}
	}
	return out
}

func describePayment(o map[string]any) Entry {
	e := Entry{Title: "Make a payment"}
	amt := obj(o, "instructedAmount")
	e.add("Amount", strings.TrimSpace(str(amt, "amount")+" "+str(amt, "currency")))
	e.add("To", str(o, "creditorName"))
	acct := obj(o, "creditorAccount")
	e.add("Their account", firstOf(acct, "iban", "sortCodeAccountNumber", "bic"))
	e.add("Reference", str(o, "remittanceInformationUnstructured"))
	e.add("On", str(o, "requestedExecutionDate"))
	var acts []string
	for _, a := range list(o, "actions") {
		s, _ := a.(string)
		acts = append(acts, cmpOr(paymentActionWords[s], s))
	}
	e.add("The app may", strings.Join(acts, ", "))
	e.addLocations(o)
	return e
}

// paymentActionWords says what each payment_initiation action lets the app do.
var paymentActionWords = map[string]string{
	"initiate": "start the payment",
	"status":   "check its status",
	"cancel":   "cancel it",
}

// addLocations names the services (RFC 9396 §2.2 locations) the access is for.
func (e *Entry) addLocations(o map[string]any) {
	var locs []string
	for _, l := range list(o, "locations") {
		if s, ok := l.(string); ok {
			locs = append(locs, s)
		}
	}
	e.add("At", strings.Join(locs, ", "))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// permissionWords says what each account_information action lets the app do.
var permissionWords = map[string]string{
	"list_accounts":        "See which accounts you have",
	"read_balances":        "See your balances",
	"read_transactions":    "See your transactions",
	"read_account_details": "See your account details (names and numbers)",
}

func describeAccounts(o map[string]any) Entry {
	e := Entry{Title: "See your account information"}
	var accounts []string
	for _, a := range list(o, "accounts") {
		m, _ := a.(map[string]any)
		accounts = append(accounts, firstOf(m, "iban", "identifier"))
	}
	if len(accounts) == 0 {
		e.add("Accounts", "All your accounts")
	} else {
		e.add("Accounts", strings.Join(accounts, ", "))
	}
	for _, a := range list(o, "actions") {
		s, _ := a.(string)
		e.add("Permission", cmpOr(permissionWords[s], s))
	}
	e.addLocations(o)
	return e
}

// describeOther flattens an object into "path: value" lines, sorted by path.
func describeOther(o map[string]any) Entry {
	t, _ := o["type"].(string)
	e := Entry{Title: "Access of type “" + t + "”"}
	var lines []Line
	flatten("", o, &lines)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Label < lines[j].Label })
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], Line{Label: "…", Value: fmt.Sprintf("%d more", len(lines)-maxLines)})
	}
	e.Lines = lines
	return e
}

func flatten(prefix string, v any, out *[]Line) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if prefix == "" && k == "type" {
				continue
			}
			flatten(join(prefix, k), x[k], out)
		}
	case []any:
		for i, it := range x {
			flatten(fmt.Sprintf("%s[%d]", prefix, i+1), it, out)
		}
	default:
		*out = append(*out, Line{Label: prefix, Value: scalar(x)})
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + " › " + k
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "none"
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

func (e *Entry) add(label, value string) {
	if value != "" {
		e.Lines = append(e.Lines, Line{Label: label, Value: value})
	}
}

func obj(o map[string]any, k string) map[string]any { m, _ := o[k].(map[string]any); return m }
func str(o map[string]any, k string) string         { s, _ := o[k].(string); return s }
func list(o map[string]any, k string) []any         { l, _ := o[k].([]any); return l }

func firstOf(o map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := str(o, k); s != "" {
			return s
		}
	}
	return ""
}

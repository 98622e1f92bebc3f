package rar

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"

	"github.com/jeton/jeton"
)

// Narrow applies RFC 9396 §6.1 and §7.1 at the token endpoint: a client may ask for
// the authorization_details of its grant or fewer, never more. requested must have
// passed Parse. jeton's rule is strict: each requested object must equal (as JSON
// values) one granted object, each granted object matching at most one requested
// object; changing a field, even to something "smaller", is a new authorization that
// the customer has not seen. nil requested keeps granted.
func Narrow(requested, granted json.RawMessage) (json.RawMessage, *jeton.Error) {
	if requested == nil {
		return granted, nil
	}
	if granted == nil {
		return nil, Fail("authorization_details were not granted to this grant")
	}
	want, err1 := decodeValues(requested)
	have, err2 := decodeValues(granted)
	if err1 != nil || err2 != nil {
		return nil, jeton.ServerError(errors.New("rar: authorization_details do not decode"))
	}
	used := make([]bool, len(have))
	for i, w := range want {
		found := false
		for j, h := range have {
			if !used[j] && reflect.DeepEqual(w, h) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return nil, Fail("authorization_details[%d] was not granted: only the granted details or a subset of them may be requested (RFC 9396 §7.1)", i)
		}
	}
	return requested, nil
}

// decodeValues decodes a JSON array with numbers kept as written (json.Number), so
// 1.0 and 1 stay different, as they are to the schema.
func decodeValues(b []byte) ([]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out []any
	err := d.Decode(&out)
	return out, err
}

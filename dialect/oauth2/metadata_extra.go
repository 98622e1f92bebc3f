package oauth2

import "encoding/json"

// mergeMetadata adds extra's members to the discovery document doc (RFC 8414 §2, OIDC
// Discovery 1.0 §3). Without extra, doc keeps its struct field order.
func mergeMetadata(doc []byte, extra map[string]any) ([]byte, error) {
	if len(extra) == 0 {
		return doc, nil
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, err
	}
	for k, v := range extra {
		m[k] = v
	}
	return json.Marshal(m)
}

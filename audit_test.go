package jeton

import "testing"

// The list has no action twice (docs/admin-api.yaml's enum is compared with it in
// cmd/jeton, TestAuditActionsDocumented).
func TestAuditActionsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range auditActions {
		if seen[a] {
			t.Errorf("jeton.AuditActions lists %s twice", a)
		}
		seen[a] = true
	}
}

func TestAuditChange(t *testing.T) {
	type thing struct {
		Name      string `json:"name"`
		Status    string `json:"status"`
		Secret    string `json:"client_secret"` // a type that forgot json:"-"
		Hash      string `json:"password_hash"`
		UpdatedAt string `json:"updated_at"`
	}
	a := thing{Name: "a", Status: "on", Secret: "s3cret", Hash: "$argon2id$x", UpdatedAt: "1"}
	b := a
	b.Status, b.Secret, b.UpdatedAt = "off", "n3w", "2"
	for _, tc := range []struct {
		name          string
		before, after any
		want          map[string]string
	}{
		{"update: only the changed fields", a, b, map[string]string{"before": `{"status":"on"}`, "after": `{"status":"off"}`}},
		{"creation", nil, a, map[string]string{"after": `{"name":"a","status":"on"}`}},
		{"deletion", a, nil, map[string]string{"before": `{"name":"a","status":"on"}`}},
		{"typed nil is none", (*thing)(nil), &a, map[string]string{"after": `{"name":"a","status":"on"}`}},
		{"nothing changed", a, a, map[string]string{"before": `{}`, "after": `{}`}},
	} {
		got := AuditChange(tc.before, tc.after)
		if len(got) != len(tc.want) || got["before"] != tc.want["before"] || got["after"] != tc.want["after"] {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

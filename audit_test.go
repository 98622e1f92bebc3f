package jeton

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// auditSchemas reads docs/admin-api.yaml's schemas: their enums and x-jeton-module.
func auditSchemas(t *testing.T, path string) map[string]struct {
	Enum   []string `yaml:"enum"`
	Module string   `yaml:"x-jeton-module"`
} {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]struct {
				Enum   []string `yaml:"enum"`
				Module string   `yaml:"x-jeton-module"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return spec.Components.Schemas
}

// The admin API's reference lists exactly the core's actions, the one list in code.
func TestAuditActionsDocumented(t *testing.T) {
	documented := slices.Clone(auditSchemas(t, "docs/admin-api.yaml")["CoreAuditAction"].Enum)
	want := AuditActions()
	slices.Sort(documented)
	slices.Sort(want)
	if !slices.Equal(documented, want) {
		t.Fatalf("docs/admin-api.yaml CoreAuditAction lists %v,\njeton.AuditActions() = %v", documented, want)
	}
	if len(slices.Compact(want)) != len(auditActions) {
		t.Fatal("jeton.AuditActions lists an action twice")
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

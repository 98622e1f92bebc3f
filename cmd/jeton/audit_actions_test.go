package main

import (
	"github.com/jeton/jeton/console"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/module"
)

// moduleActions are the audit actions of each module that writes its own.
func moduleActions() map[string][]string {
	out := map[string][]string{}
	for _, m := range vendorModules() {
		if a, ok := m.(module.Auditor); ok {
			out[m.Name()] = a.AuditActions()
		}
	}
	return out
}

// docs/admin-api.yaml lists exactly the actions of the code: CoreAuditAction is
// jeton.AuditActions; each module's actions are the enum it gives under the module's
// name (x-jeton-module); the reference's AuditAction admits each of those enums. A
// schema of a module this binary lacks (a removed vendor) is left alone.
func TestAuditActionsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../../docs/admin-api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]struct {
				Enum   []string            `yaml:"enum"`
				Module string              `yaml:"x-jeton-module"`
				AnyOf  []map[string]string `yaml:"anyOf"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	sameSet := func(a, b []string) bool {
		return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
	}
	if core := spec.Components.Schemas["CoreAuditAction"].Enum; !sameSet(core, jeton.AuditActions()) {
		t.Errorf("docs/admin-api.yaml CoreAuditAction lists %v,\njeton.AuditActions() = %v", core, jeton.AuditActions())
	}
	var refs []string
	for _, r := range spec.Components.Schemas["AuditAction"].AnyOf {
		refs = append(refs, strings.TrimPrefix(r["$ref"], "#/components/schemas/"))
	}
	for name, actions := range moduleActions() {
		var schema string
		for n, s := range spec.Components.Schemas {
			if s.Module == name {
				schema = n
				if !sameSet(s.Enum, actions) {
					t.Errorf("module %s: docs/admin-api.yaml %s lists %v, the module %v", name, n, s.Enum, actions)
				}
			}
		}
		if !slices.Contains(refs, schema) {
			t.Errorf("module %s: no schema with x-jeton-module: %s in AuditAction's anyOf (%v)", name, name, refs)
		}
	}
}

// actionLiteral is what an audit action looks like in Go source: dotted lower-case
// words in a string literal.
var actionLiteral = regexp.MustCompile(`"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)

// notAction are the dotted literals of the source that are no audit action: file
// names, OCI/VCS labels, and trace span names and attribute keys (engine.*,
// password.verify, jeton.*).
var notAction = regexp.MustCompile(`^(vcs\.|org\.opencontainers\.|jeton\.|engine\.|password\.verify$)|\.(db|html|tar)$`)

// Every action the code can write is listed: the source (outside tests) holds no
// dotted string literal that is neither an action of jeton.AuditActions or of a
// module, nor a security event kind, nor one of the few known non-actions. Writers use
// the Action constants, so a new action is a new constant, which this test finds
// until it is in its list (and then the YAML tests until it is documented).
func TestEveryWrittenActionIsListed(t *testing.T) {
	known := jeton.AuditActions()
	for _, actions := range moduleActions() {
		known = append(known, actions...)
	}
	for _, k := range jeton.SecurityEventKinds {
		known = append(known, string(k))
	}
	// A module's console pages have string-table keys of their own ("cardcore.nav"):
	// read them from the modules, not from console's table, which holds them only
	// once some earlier test has built a console with the modules.
	for _, m := range vendorModules() {
		if p, ok := m.(interface{ ConsoleStrings() map[string]string }); ok {
			for k := range p.ConsoleStrings() {
				known = append(known, k)
			}
		}
	}
	checked := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "storetest" || strings.HasPrefix(d.Name(), ".")) && path != "../.." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range actionLiteral.FindAllStringSubmatch(string(src), -1) {
			checked++
			// The console's English string table has dotted keys too ("app.deleted").
			if !slices.Contains(known, m[1]) && !notAction.MatchString(m[1]) && !console.IsStringKey(m[1]) {
				t.Errorf("%s: %q looks like an audit action but is in no list (jeton.AuditActions, a module's AuditActions)", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < len(jeton.AuditActions()) {
		t.Fatalf("only %d literals checked: is the walk finding the source?", checked)
	}
}

// Package rar implements Rich Authorization Requests (RFC 9396): the registry of
// authorization_details types, each with a JSON Schema (JSON Schema 2020-12, checked
// with github.com/santhosh-tekuri/jsonschema/v6), the parsing and validation of an
// authorization_details value for a client (§2, §5), the narrowing rule for token
// requests (§6.1, §7.1), and the customer-readable description the consent page shows.
// See docs/oidc.md "Rich authorization requests".
package rar

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schemas/*.json
var defaultSchemas embed.FS

// Default types jeton ships a schema for (the common Open Banking ones).
const (
	TypePaymentInitiation  = "payment_initiation"
	TypeAccountInformation = "account_information"
)

// typeName is what a type may be called: it names a schema file too, so no path
// separators; RFC 9396 §2 allows any string, jeton keeps to a safe subset.
var typeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

// ValidTypeName reports whether t can name an authorization_details type in jeton.
func ValidTypeName(t string) bool { return typeName.MatchString(t) }

// maxSchemaBytes bounds one schema file an operator supplies.
const maxSchemaBytes = 256 << 10

// Registry holds a compiled schema per type. Build it with Default or Load; it is
// read-only afterwards and safe for concurrent use.
type Registry struct {
	schemas map[string]*jsonschema.Schema
}

// Default returns the registry of the schemas jeton ships.
func Default() (*Registry, error) { return Load("") }

// Load returns the shipped schemas, replaced or extended by the *.json files in dir
// ("" for none): a file named TYPE.json is the schema of TYPE, so an operator replaces
// payment_initiation by shipping their own payment_initiation.json and adds a type by
// adding a file (serve --authorization-details-schemas DIR).
func Load(dir string) (*Registry, error) {
	docs := map[string][]byte{}
	if err := readSchemas(defaultSchemas, "schemas", docs); err != nil {
		return nil, err
	}
	if dir != "" {
		if err := readSchemas(os.DirFS(dir), ".", docs); err != nil {
			return nil, fmt.Errorf("authorization_details schemas in %s: %w", dir, err)
		}
	}
	r := &Registry{schemas: map[string]*jsonschema.Schema{}}
	for name, doc := range docs {
		sch, err := compile(name, doc)
		if err != nil {
			return nil, fmt.Errorf("authorization_details schema %s: %w", name, err)
		}
		r.schemas[name] = sch
	}
	return r, nil
}

// readSchemas reads every *.json directly in dir of fsys into docs, by type.
func readSchemas(fsys fs.FS, dir string, docs map[string][]byte) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		if !ValidTypeName(name) {
			return fmt.Errorf("%s: a type name is letters, digits, _ . : - (at most 64)", e.Name())
		}
		b, err := fs.ReadFile(fsys, filepath.ToSlash(filepath.Join(dir, e.Name())))
		if err != nil {
			return err
		}
		if len(b) > maxSchemaBytes {
			return fmt.Errorf("%s: over %d bytes", e.Name(), maxSchemaBytes)
		}
		docs[name] = b
	}
	return nil
}

// compile compiles one schema. No loader is set, so a $ref to anything outside the
// document (a URL, a file) fails here rather than fetching at run time.
func compile(name string, doc []byte) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	url := "urn:jeton:authorization-details:" + name
	if err := c.AddResource(url, v); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// Types lists the registered types, sorted (discovery's
// authorization_details_types_supported, RFC 9396 §10).
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.schemas))
	for t := range r.schemas {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Known reports whether t has a schema.
func (r *Registry) Known(t string) bool {
	_, ok := r.schemas[t]
	return ok
}

// validate checks one decoded object against its type's schema.
func (r *Registry) validate(t string, v any) error {
	sch, ok := r.schemas[t]
	if !ok {
		return errors.New("no schema")
	}
	return sch.Validate(v)
}

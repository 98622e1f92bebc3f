package jeton_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jeton/jeton"
)

// Every Grant constant of domain.go is in jeton.Grants, the list the admin API and the
// metrics derive their sets from: a grant added without it fails here.
func TestGrantsListsEveryGrantConstant(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "domain.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	ast.Inspect(f, func(n ast.Node) bool {
		v, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range v.Names {
			lit, ok := v.Values[i].(*ast.BasicLit)
			if strings.HasPrefix(name.Name, "Grant") && ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				consts = append(consts, s)
			}
		}
		return true
	})
	got := jeton.Grants()
	slices.Sort(consts)
	slices.Sort(got)
	if !slices.Equal(got, consts) {
		t.Fatalf("jeton.Grants() = %v; the Grant constants are %v", got, consts)
	}
	for _, g := range consts {
		if !jeton.KnownGrant(g) {
			t.Errorf("KnownGrant(%q) = false", g)
		}
	}
	if jeton.KnownGrant("urn:example:other") {
		t.Error("KnownGrant accepts a grant jeton does not implement")
	}
}

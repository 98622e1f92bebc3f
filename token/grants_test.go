package token_test

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"io/fs"
	"strings"
	"testing"

	"github.com/jeton/jeton/token"
	"github.com/jeton/jeton/token/tokentest"
)

// handlers is one of each grant handler in this package.
var handlers = []token.Grant{token.ClientCredentials{}, &token.Password{}, &token.RefreshGrant{}, &token.AuthorizationCode{}}

// The package's grant handlers are exactly jeton.Grants: a handler whose grant type is
// not in that list would be refused by the admin API and labelled "other" in the
// metrics. A new handler file (a Type method) must be added to handlers above.
func TestHandlersAreJetonGrants(t *testing.T) {
	tokentest.CheckJetonGrants(t, "the handlers", handlers)
	pkgs, err := parser.ParseDir(gotoken.NewFileSet(), ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range pkgs["token"].Files {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil && fn.Name.Name == "Type" {
				n++
			}
		}
	}
	if n != len(handlers) {
		t.Fatalf("package token has %d Type methods, handlers lists %d grants", n, len(handlers))
	}
}

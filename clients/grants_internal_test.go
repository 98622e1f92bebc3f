package clients

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jeton/jeton"
)

// A registration may name every grant jeton implements, and the admin API's reference
// lists exactly those: both come from jeton.Grants.
func TestRegistrationAcceptsEveryGrant(t *testing.T) {
	if err := checkGrants(jeton.Grants(), Rules{}); err != nil {
		t.Fatalf("checkGrants(%v): %v", jeton.Grants(), err)
	}
	if err := checkGrants([]string{"urn:example:other"}, Rules{}); err == nil {
		t.Fatal("an unknown grant type was accepted")
	}
	spec, err := os.ReadFile("../docs/admin-api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ +grants:\n(?: +\w+: .*\n)*? +items: \{type: string, enum: \[([^\]]*)\]\}`).FindSubmatch(spec)
	if m == nil {
		t.Fatal("docs/admin-api.yaml: no enum for grants")
	}
	documented := strings.Split(string(m[1]), ", ")
	slices.Sort(documented)
	want := jeton.Grants()
	slices.Sort(want)
	if !slices.Equal(documented, want) {
		t.Fatalf("docs/admin-api.yaml lists grants %v, jeton.Grants() = %v", documented, want)
	}
}

package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestDocsNameRealFlags guards the operator docs against rot: every flag they mention
// must exist. In a command line (`jeton backup --force …`, or one starting with a
// subcommand such as `serve --migrate`) the flag must belong to that very command
// (its own flags or those inherited from its parents); a flag named on its own
// (`--issuer`) must exist on some command. Lines of other programs (pg_dump, …) are
// not jeton's and are skipped.
func TestDocsNameRealFlags(t *testing.T) {
	for _, doc := range []string{"../../docs/operations.md", "../../docs/configuration.md", "../../README.md"} {
		t.Run(doc, func(t *testing.T) {
			text, err := os.ReadFile(doc)
			if err != nil {
				t.Fatal(err)
			}
			problems, checked := docFlagProblems(newRootCmd(), string(text))
			t.Logf("%d flag mentions checked", checked)
			for _, p := range problems {
				t.Error(p)
			}
			if checked < 10 {
				t.Errorf("only %d flag mentions checked: is the parser still finding them?", checked)
			}
		})
	}
}

// TestDocFlagProblemsCatchesRot: the checker itself finds a missing flag, a flag on the
// wrong command, and a missing lone flag, and accepts real ones.
func TestDocFlagProblemsCatchesRot(t *testing.T) {
	doc := "Run `jeton backup --force x.db` or `serve --migrate`, set `--issuer`.\n" +
		"```sh\njeton restore --data-dir d b.db && pg_dump --format=custom db\n" +
		"jeton client create --institution I \\\n    --name N -o json\n```\n"
	if problems, checked := docFlagProblems(newRootCmd(), doc); len(problems) != 0 || checked != 7 {
		t.Fatalf("real flags: %v (%d checked, want 7)", problems, checked)
	}
	for _, bad := range []string{
		"`jeton backup --no-such-flag x.db`",
		"`jeton backup --migrate x.db`", // a serve flag, not backup's
		"`migrate --force`",
		"set `--no-such-setting`",
		"```\njeton serve \\\n  --adress :8080\n```",
	} {
		if problems, _ := docFlagProblems(newRootCmd(), bad); len(problems) != 1 {
			t.Errorf("%q: problems %v, want one", bad, problems)
		}
	}
}

var (
	fencedBlock = regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
	inlineCode  = regexp.MustCompile("`([^`\n]+)`")
)

// docFlagProblems checks every flag mention in a Markdown text against root's command
// tree; it returns what is wrong and how many mentions it checked.
func docFlagProblems(root *cobra.Command, text string) (problems []string, checked int) {
	var units []string
	for _, m := range fencedBlock.FindAllStringSubmatch(text, -1) {
		joined := strings.ReplaceAll(m[1], "\\\n", " ")
		units = append(units, strings.Split(joined, "\n")...)
	}
	for _, m := range inlineCode.FindAllStringSubmatch(fencedBlock.ReplaceAllString(text, ""), -1) {
		units = append(units, m[1])
	}
	for _, unit := range units {
		for _, seg := range regexp.MustCompile(`&&|\|\||;| \| `).Split(unit, -1) {
			p, n := segmentProblems(root, strings.Fields(seg))
			problems = append(problems, p...)
			checked += n
		}
	}
	return problems, checked
}

func segmentProblems(root *cobra.Command, words []string) (problems []string, checked int) {
	for len(words) > 0 && (words[0] == "$" || words[0] == "sudo" || (strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-"))) {
		words = words[1:]
	}
	if len(words) == 0 {
		return nil, 0
	}
	first := words[0]
	switch {
	case strings.HasPrefix(first, "--"):
		// Flags named on their own: each must exist somewhere.
		for _, w := range words {
			if name, ok := longFlag(w); ok {
				checked++
				if !anyCommandHas(root, name) {
					problems = append(problems, "no command has --"+name)
				}
			}
		}
		return problems, checked
	case first == "jeton" || strings.HasSuffix(first, "/jeton"):
		words = words[1:]
	case subcommand(root, first) == nil:
		return nil, 0 // another program's line
	}
	cmd := root
	for _, w := range words {
		if strings.HasPrefix(w, "-") {
			continue
		}
		if sub := subcommand(cmd, w); sub != nil {
			cmd = sub
		}
	}
	for _, w := range words {
		if name, ok := longFlag(w); ok {
			checked++
			if lookupFlag(cmd, name) == nil {
				problems = append(problems, "`"+cmd.CommandPath()+"` has no --"+name)
			}
		} else if len(w) == 2 && w[0] == '-' && w[1] != '-' {
			checked++
			if cmd.Flags().ShorthandLookup(w[1:]) == nil && cmd.InheritedFlags().ShorthandLookup(w[1:]) == nil {
				problems = append(problems, "`"+cmd.CommandPath()+"` has no "+w)
			}
		}
	}
	return problems, checked
}

// subcommand finds the child of cmd named word; "create|update" names the first of
// the alternatives that exists.
func subcommand(cmd *cobra.Command, word string) *cobra.Command {
	for _, alt := range strings.Split(word, "|") {
		for _, c := range cmd.Commands() {
			if c.Name() == alt || c.HasAlias(alt) {
				return c
			}
		}
	}
	return nil
}

var flagWord = regexp.MustCompile(`^--([a-z][a-z0-9-]*)(=.*)?[.,:;)]*$`)

func longFlag(w string) (string, bool) {
	m := flagWord.FindStringSubmatch(w)
	if m == nil || m[1] == "help" {
		return "", false
	}
	return m[1], true
}

func lookupFlag(cmd *cobra.Command, name string) any {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f
	}
	if f := cmd.InheritedFlags().Lookup(name); f != nil {
		return f
	}
	return nil
}

func anyCommandHas(cmd *cobra.Command, name string) bool {
	if lookupFlag(cmd, name) != nil {
		return true
	}
	for _, c := range cmd.Commands() {
		if anyCommandHas(c, name) {
			return true
		}
	}
	return false
}

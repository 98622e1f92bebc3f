package main

import (
	"regexp"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// pflag takes the first back-quoted word of a flag's usage as the name of its argument
// in --help ("--data-dir jeton serve" instead of "--data-dir string"); every flag of
// every command must show a plain one-word argument name.
func TestFlagHelpArgumentNames(t *testing.T) {
	plain := regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]*$`)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(f)
			if name != "" && !plain.MatchString(name) {
				t.Errorf("%s --%s: help shows the argument as %q", c.CommandPath(), f.Name, name)
			}
		}
		c.LocalFlags().VisitAll(check)
		c.InheritedFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}

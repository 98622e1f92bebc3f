package main

import "github.com/spf13/cobra"

// adminCommands returns the commands that talk to the admin API (institution, client,
// customer, key). Placeholder until the admin CLI lands.
func adminCommands() []*cobra.Command { return nil }

package main

import (
	"github.com/spf13/cobra"
)

// Files that `serve` writes into the data dir so that admin commands run next to it
// need no flags.
const (
	defaultDataDir = "./jeton-data"
	adminTokenFile = "admin-token" // the admin API bearer token, 0600
	adminURLFile   = "admin-url"   // the admin API base URL, e.g. http://127.0.0.1:8081
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "jeton",
		Short:         "jeton: an OAuth 2.0 / OpenID Connect authorization server for banking APIs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newMigrateCmd(), newJanitorCmd(), newBackupCmd(), newRestoreCmd(), newKEKCmd(), newConsoleUserCmd(), newVersionCmd(), newHealthcheckCmd())
	root.AddCommand(adminCommands()...)
	addModuleCommands(root, "", nil)
	return root
}

package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Files that `serve` writes into the data dir so that admin commands run next to it
// need no flags.
const (
	defaultDataDir = "./jeton-data"
	adminTokenFile = "admin-token" // the admin API bearer token, 0600
	adminURLFile   = "admin-url"   // the admin API base URL, e.g. http://127.0.0.1:8081
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise the
// module's build info is used.
var version = ""

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "jeton",
		Short:         "jeton: an OAuth 2.0 / OpenID Connect authorization server for banking APIs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newMigrateCmd(), newJanitorCmd(), newBackupCmd(), newRestoreCmd(), newVersionCmd())
	root.AddCommand(adminCommands()...)
	addModuleCommands(root, "", nil)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print jeton's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "jeton", buildVersion())
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

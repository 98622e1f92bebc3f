// Command jeton is the single binary: serve, migrate, and the admin commands that talk
// to a running server's admin API.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "jeton:", err)
		os.Exit(1)
	}
}

// Command jeton is the single binary: serve, migrate, and the admin commands that talk
// to a running server's admin API.
package main

import (
	"fmt"
	"os"
	// The tz database is embedded (about 450 KB) so that working-hours calendars load
	// their IANA zones on machines without /usr/share/zoneinfo (scratch and distroless
	// images); time.LoadLocation still prefers the system copy when there is one.
	_ "time/tzdata"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "jeton:", err)
		os.Exit(1)
	}
}

// Command gen writes an observing store decorator (package storegen) for go generate:
//
//	//go:generate go run github.com/jeton/jeton/internal/storeobs/gen -pkg PKG -out FILE -wrap Iface=type[:Constructor] ...
//
// The generated file belongs to the package go generate runs in.
package main

import (
	"fmt"
	"os"

	"github.com/jeton/jeton/internal/storeobs/storegen"
)

func main() {
	spec, out, err := storegen.ParseArgs(".", os.Args[1:])
	if err == nil {
		var src []byte
		if src, err = storegen.Generate(spec); err == nil {
			err = os.WriteFile(out, src, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "storeobs/gen:", err)
		os.Exit(1)
	}
}

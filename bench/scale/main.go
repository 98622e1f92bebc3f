// Command scale is the scale harness (docs/benchmarks.md, "Scale"): it bulk-loads a
// bank-sized population into jeton's SQLite or PostgreSQL store, writes the request
// lines the load generator sends against it, and simulates the janitor over days.
//
//	scale load    -db PATH|URL -manifest FILE [-institutions N -clients N -customers N
//	              -families N -replays N -opaque N -expired F -keys DIR -aud URL]
//	    migrates the store, then loads 10,000 institutions, 100,000 clients (60 %
//	    client_secret_basic, 20 % client_secret_post, 20 % private_key_jwt; a quarter
//	    with opaque access tokens), 1,000,000 customers, 10,000,000 live refresh
//	    families with one token each, 1,000,000 assertion replay records and 1,000,000
//	    opaque access tokens by default (SQLite: large transactions of one prepared
//	    statement with relaxed pragmas, restored after; PostgreSQL: COPY). The rows are
//	    those jeton writes; what jeton makes at random is derived from a seed, kept in
//	    the manifest with the sizes, so that `scale lines` finds any secret or token
//	    again. Prints the time each table took.
//	scale lines   -manifest FILE -kind cc|pk|refresh|introspect -n N -out FILE [-zipf S -aud URL]
//	    N request lines for bench/scale.lua ("Basic credentials<TAB>form body"):
//	    client_credentials of secret clients and private_key_jwt assertions (RS256,
//	    signed here) of clients drawn from a Zipf distribution (exponent -zipf), refresh
//	    tokens of distinct live families, opaque tokens to introspect (by their client).
//	scale janitor -db PATH|URL [-rows N -days 14 -batch N -pause D]
//	    the janitor at scale on a simulated clock: see janitor.go.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "load":
		err = loadCmd(os.Args[2:])
	case "lines":
		err = linesCmd(os.Args[2:])
	case "janitor":
		err = janitorCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "scale %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: scale load|lines|janitor [flags] (see the package comment)")
	os.Exit(2)
}

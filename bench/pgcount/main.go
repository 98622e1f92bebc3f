// Command pgcount is a TCP proxy in front of PostgreSQL that counts the round trips
// its clients make, for bench/run-replicas.sh ("database round trips per request").
//
//	pgcount -listen 127.0.0.1:PORT -target 127.0.0.1:5432 -http 127.0.0.1:PORT
//
// A round trip is a message after which the client waits for the server: Sync, which
// ends every extended-protocol exchange (pgx sends Bind/Execute/Sync per statement, a
// batch or pipeline many statements before one Sync), and a simple Query (pgx's
// BEGIN and COMMIT). Both end with the server's ReadyForQuery. The proxy parses only
// what clients send, and copies every byte both ways unchanged. Connect through it
// with sslmode=disable: it cannot read an encrypted stream (such a connection is
// passed through and not counted).
//
// GET / on -http answers {"round_trips": N, "queries": Q, "syncs": S, "conns": C}.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync/atomic"
)

var (
	syncs, queries, conns atomic.Int64
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address the clients connect to")
	target := flag.String("target", "127.0.0.1:5432", "PostgreSQL's address")
	httpAddr := flag.String("http", "127.0.0.1:0", "address of the counters' JSON endpoint")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	hl, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "pgcount: proxy %s -> %s, counters on http://%s/\n", ln.Addr(), *target, hl.Addr())
	go func() { log.Fatal(http.Serve(hl, http.HandlerFunc(counters))) }()
	log.Fatal(serve(ln, *target))
}

// counters answers the counts as JSON.
func counters(w http.ResponseWriter, _ *http.Request) {
	s, q := syncs.Load(), queries.Load()
	_ = json.NewEncoder(w).Encode(map[string]int64{"round_trips": s + q, "syncs": s, "queries": q, "conns": conns.Load()})
}

// serve proxies every connection ln accepts to target.
func serve(ln net.Listener, target string) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go proxy(c, target)
	}
}

func proxy(client net.Conn, target string) {
	defer client.Close()
	server, err := net.Dial("tcp", target)
	if err != nil {
		log.Printf("pgcount: %v", err)
		return
	}
	defer server.Close()
	conns.Add(1)
	go func() {
		_, _ = io.Copy(client, server)
		client.Close()
	}()
	if err := count(bufio.NewReader(client), bufio.NewWriter(server)); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		log.Printf("pgcount: %v", err)
	}
}

// Startup packets (no type byte): the protocol version, or a request code.
const (
	sslRequest = 80877103
	gssRequest = 80877104
)

// count copies the client's stream to the server message by message, counting Sync
// ('S') and Query ('Q') messages (PostgreSQL protocol v3, "Message Formats"). It
// flushes whenever the client has sent nothing more yet.
func count(r *bufio.Reader, server *bufio.Writer) error {
	flush := func() error {
		if r.Buffered() == 0 {
			return server.Flush()
		}
		return nil
	}
	var head [8]byte
	// Startup phase: length-prefixed packets without a type byte. An SSL or GSS
	// request is answered with one byte; only a refusal ('N') keeps the stream plain.
	for {
		if _, err := io.ReadFull(r, head[:8]); err != nil {
			return err
		}
		if _, err := server.Write(head[:8]); err != nil {
			return err
		}
		n := int64(binary.BigEndian.Uint32(head[:4])) - 8
		if _, err := io.CopyN(server, r, n); err != nil {
			return err
		}
		if err := server.Flush(); err != nil {
			return err
		}
		if code := binary.BigEndian.Uint32(head[4:8]); code != sslRequest && code != gssRequest {
			break
		}
		// The server's one-byte answer goes back through the other direction; a
		// client that then starts TLS sends no more plain packets we can read.
		b, err := r.Peek(1)
		if err != nil {
			return err
		}
		if b[0] == 0x16 { // a TLS record: the server said 'S'
			_, err := io.Copy(server, r)
			return err
		}
	}
	for {
		if _, err := io.ReadFull(r, head[:5]); err != nil {
			return err
		}
		switch head[0] {
		case 'S':
			syncs.Add(1)
		case 'Q':
			queries.Add(1)
		}
		if _, err := server.Write(head[:5]); err != nil {
			return err
		}
		n := int64(binary.BigEndian.Uint32(head[1:5])) - 4
		if _, err := io.CopyN(server, r, n); err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
	}
}

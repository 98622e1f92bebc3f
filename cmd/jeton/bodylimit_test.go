package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

const formType, jsonType = "application/x-www-form-urlencoded", "application/json"

// bodyTarget is an endpoint that must refuse an oversized body at once.
type bodyTarget struct{ addr, path, ctype, auth string }

// bodyLimitVendor is a vendor module's part of the test, added by the vendor's own
// test file in this package: serve flags and its endpoints on the public listener
// (pub) and its own.
type bodyLimitVendor struct {
	args    []string
	targets func(t *testing.T, s *liveServer, pub string) []bodyTarget
}

var bodyLimitVendors []bodyLimitVendor

// A body declared larger than any listener accepts is refused as soon as the headers
// arrive, on every listener, and the connection is closed: a client that declares a
// huge body and then sends nothing must not hold a connection until the read timeout.
func TestDeclaredOversizedBodyRefusedAtOnce(t *testing.T) {
	var args []string
	for _, v := range bodyLimitVendors {
		args = append(args, v.args...)
	}
	s := startServer(t, args...)
	pub := s.app.publicLn.Addr().String()
	adm := s.app.adminLn.Addr().String()
	targets := []bodyTarget{
		{pub, "/oauth2/token", formType, ""},
		{pub, "/oauth2/introspect", formType, ""},
		{pub, "/oauth2/par", formType, ""},
		{pub, "/oauth2/authorize", formType, ""},
		{pub, "/oauth2/userinfo", formType, ""},
		{adm, "/admin/v1/institutions", jsonType, "Bearer " + s.token},
	}
	for _, v := range bodyLimitVendors {
		targets = append(targets, v.targets(t, s, pub)...)
	}
	for _, x := range s.app.extra {
		targets = append(targets, bodyTarget{x.ln.Addr().String(), "/", formType, ""})
	}
	for _, tg := range targets {
		for _, size := range []int64{100_000, 1 << 30} {
			t.Run(fmt.Sprintf("%s%s/%d", tg.addr, tg.path, size), func(t *testing.T) {
				t.Parallel()
				refusedAtOnce(t, tg.addr, tg.path, tg.ctype, tg.auth, size)
			})
		}
	}
}

func refusedAtOnce(t *testing.T, addr, path, ctype, auth string, size int64) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n", path, addr, ctype, size)
	if auth != "" {
		req += "Authorization: " + auth + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer within a second: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode == http.StatusRequestTimeout {
		t.Errorf("status %d, want a refusal", resp.StatusCode)
	}
	if !resp.Close {
		t.Errorf("answer %d without Connection: close", resp.StatusCode)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("connection not closed within a second after the answer: %v", err)
	}
}

// A request refused for another reason before its body is read (no sign-in session,
// wrong Content-Type, a missing dialect header) is answered at once too, also when it
// declares more than its route's bound but less than 64 KiB: net/http would otherwise
// wait for the whole body before sending the refusal.
func TestRefusalBeforeBodyAnsweredAtOnce(t *testing.T) {
	s := startServer(t)
	pub := s.app.publicLn.Addr().String()
	const form, js = "application/x-www-form-urlencoded", "application/json"
	for _, tg := range []struct{ path, ctype string }{
		{"/oauth2/authorize/login", form},            // no session: bound 16 KiB
		{"/oauth2/authorize/consent", form},          // no session: bound 16 KiB
		{"/abbeycross/v1/oauth/token", form},         // wrong Content-Type: bound 16 KiB
		{"/cardcore/institutions/oauth/token", form}, // wrong Content-Type
		{"/candescent/oauth2/v1/token", form},        // no transactionId header
		{"/oauth2/token", js},                        // wrong Content-Type
	} {
		t.Run(tg.path, func(t *testing.T) {
			t.Parallel()
			refusedAtOnce(t, pub, tg.path, tg.ctype, "", 20<<10)
		})
	}
}

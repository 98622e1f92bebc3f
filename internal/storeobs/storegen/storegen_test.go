package storegen

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The generator's output compiles and observes what it should for every shape of
// method: variadic parameters, several results, named types of the interface's
// package and of others, and methods that are forwarded unobserved (no context first,
// or no error last). It runs in a module of its own, as `go test` of what it wrote.
func TestGeneratedDecoratorBehaves(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/gen\n\ngo 1.26\n")
	write("iface/iface.go", `package iface

import (
	"context"
	"time"
)

type Row struct{ ID string }

type Store interface {
	Find(ctx context.Context, ids ...string) ([]Row, int, error)
	Put(ctx context.Context, r *Row, at time.Time, m map[string][]byte) error
	Close() error
	Touch(ctx context.Context)
}
`)
	t.Chdir(dir) // go/build resolves the package from the working directory's module
	spec := Spec{Package: "example.com/gen/iface", OutPackage: "storeobs", OutPath: hookPath, Dir: dir,
		Wrappers: []Wrapper{{Interface: "Store", Type: "observed", Constructor: "Observe"}}}
	src, err := Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	write("storeobs/gen.go", string(src))
	write("storeobs/hook.go", `package storeobs

import "context"

type Hook interface {
	Begin(ctx context.Context, op string) (context.Context, func(err error))
}
`)
	write("storeobs/gen_test.go", `package storeobs

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"example.com/gen/iface"
)

type key struct{}

type inner struct{ ids []string; ctx context.Context }

func (s *inner) Find(ctx context.Context, ids ...string) ([]iface.Row, int, error) {
	s.ids, s.ctx = ids, ctx
	return []iface.Row{{ID: "a"}}, 7, errors.New("boom")
}
func (s *inner) Put(context.Context, *iface.Row, time.Time, map[string][]byte) error { return nil }
func (s *inner) Close() error { return errors.New("closed") }
func (s *inner) Touch(context.Context) {}

type rec struct{ log []string }

func (r *rec) Begin(ctx context.Context, op string) (context.Context, func(error)) {
	r.log = append(r.log, op)
	return context.WithValue(ctx, key{}, op), func(err error) { r.log = append(r.log, op+" ended: "+errString(err)) }
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func TestObserve(t *testing.T) {
	in, r := &inner{}, &rec{}
	s := Observe(in, r)
	rows, n, err := s.Find(context.Background(), "x", "y")
	if len(rows) != 1 || n != 7 || err == nil || !slices.Equal(in.ids, []string{"x", "y"}) || in.ctx.Value(key{}) != "Find" {
		t.Fatalf("Find: %v %v %v, inner saw %v", rows, n, err, in.ids)
	}
	_ = s.Put(context.Background(), &iface.Row{}, time.Now(), nil)
	if s.Close() == nil {
		t.Fatal("Close lost its error")
	}
	s.Touch(context.Background())
	want := []string{"Find", "Find ended: boom", "Put", "Put ended: nil"}
	if !slices.Equal(r.log, want) {
		t.Fatalf("observed %v, want %v (Close and Touch forwarded unobserved)", r.log, want)
	}
	if Observe(in) != iface.Store(in) {
		t.Fatal("no hooks must return the store itself")
	}
}
`)
	cmd := exec.Command("go", "test", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the generated decorator does not pass its test: %v\n%s\n%s", err, out, src)
	}
}

package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// canon returns v with every time.Time made canonical (UTC, microseconds, no monotonic
// reading; the zero time stays zero) and every empty byte slice made nil, so that
// reflect.DeepEqual compares instants with time.Equal semantics and byte slices by
// content. Other slices and maps are left alone on purpose: a store must return empty,
// non-nil slices and maps, and DeepEqual tells nil from empty.
func canon[T any](v T) T {
	canonValue(reflect.ValueOf(&v).Elem())
	return v
}

func canonValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			v.Set(reflect.ValueOf(canonTime(v.Interface().(time.Time))))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				canonValue(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() == 0 {
				v.SetZero()
			}
			return
		}
		// Copy before canonicalising so the caller's backing array is not touched.
		cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(cp, v)
		for i := range cp.Len() {
			canonValue(cp.Index(i))
		}
		if !v.IsNil() {
			v.Set(cp)
		}
	}
}

func canonTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// same fails the test unless got and want are equal after canon.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(canon(got), canon(want)) {
		t.Errorf("%s differs:\n got  %+v\n want %+v", what, got, want)
	}
}

// ok fails the test now if err is not nil.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// is fails the test unless errors.Is(err, target).
func is(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

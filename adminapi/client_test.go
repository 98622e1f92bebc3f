package adminapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jeton/jeton/adminapi"
)

// A proxy or a wrong URL answers with something that is not the admin API's JSON; the
// client still returns an *APIError with the status and a readable excerpt.
func TestClientNonJSONError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>" + strings.Repeat("bad gateway ", 50) + "</html>"))
	}))
	defer srv.Close()
	_, err := adminapi.NewClient(srv.URL+"/", "t", nil).ListInstitutions(context.Background())
	var ae *adminapi.APIError
	if !errors.As(err, &ae) || ae.Status != 502 || ae.Code != "http_502" || len(ae.Message) > 210 || !strings.HasPrefix(ae.Message, "<html>") {
		t.Fatalf("err = %#v", err)
	}
}

func TestClientSendsTokenAndEscapesIDs(t *testing.T) {
	var gotPath, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.EscapedPath(), r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"x","name":"n"}`))
	}))
	defer srv.Close()
	if _, err := adminapi.NewClient(srv.URL, "tok", nil).GetInstitution(context.Background(), "a/b?c"); err != nil {
		t.Fatal(err)
	}
	if gotPath != "/admin/v1/institutions/a%2Fb%3Fc" || gotAuth != "Bearer tok" {
		t.Fatalf("path %q auth %q", gotPath, gotAuth)
	}
}

func TestAPIErrorMessage(t *testing.T) {
	e := &adminapi.APIError{Status: 400, Code: "invalid_field", Field: "grants[1]", Message: `unknown grant type "foo"`}
	if got, want := e.Error(), `grants[1]: unknown grant type "foo" (invalid_field, HTTP 400)`; got != want {
		t.Fatalf("Error() = %q; want %q", got, want)
	}
}

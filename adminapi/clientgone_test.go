package adminapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/httpapi"
)

// waitingKeys is a key manager whose List waits for the request to be cancelled, as a
// slow database call would.
type waitingKeys struct{ started chan struct{} }

func (k waitingKeys) List(ctx context.Context) ([]jeton.SigningKey, error) {
	close(k.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

func (waitingKeys) RotateAudited(context.Context, string, jeton.AuditEvent) (jeton.SigningKey, error) {
	return jeton.SigningKey{}, nil
}

type lines chan map[string]any

func (l lines) Write(p []byte) (int, error) {
	var m map[string]any
	if err := json.Unmarshal(p, &m); err != nil {
		return 0, err
	}
	l <- m
	return len(p), nil
}

// An admin client that hangs up mid-request is one INFO line with status 499 (the
// access log's), not an ERROR "admin request failed".
func TestClientGoneIsNotAnAdminError(t *testing.T) {
	out := make(lines, 8)
	logger := slog.New(slog.NewJSONHandler(out, nil))
	keys := waitingKeys{started: make(chan struct{})}
	h := adminapi.New(adminapi.Config{Keys: keys, Token: testToken, Logger: logger})
	srv := httptest.NewServer(httpapi.Middleware(logger, nil, nil, h))
	t.Cleanup(srv.Close)

	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "GET /admin/v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+testToken+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-keys.started
	c.Close()

	var got []map[string]any
	for done := false; !done; {
		select {
		case l := <-out:
			got = append(got, l)
		case <-time.After(300 * time.Millisecond):
			done = len(got) > 0
		}
	}
	if len(got) != 1 || got[0]["level"] != "INFO" || got[0]["status"] != float64(499) {
		t.Errorf("log lines %v: want one INFO line with status 499", got)
	}
}

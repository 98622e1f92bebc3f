package clientauth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

func TestSecretGraceBoundary(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	c := &jeton.Client{
		SecretDigest:            jeton.Digest("new"),
		PreviousSecretDigest:    jeton.Digest("old"),
		PreviousSecretExpiresAt: now.Add(time.Minute),
	}
	tests := []struct {
		name   string
		secret string
		at     time.Time
		ok     bool
	}{
		{"current secret", "new", now, true},
		{"previous secret within grace", "old", now.Add(59 * time.Second), true},
		{"previous secret at grace end", "old", now.Add(time.Minute), false},
		{"previous secret after grace", "old", now.Add(time.Hour), false},
		{"wrong secret", "nope", now, false},
		{"empty secret", "", now, false},
		{"secret with different case", "NEW", now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Secret{Now: func() time.Time { return tt.at }}.Verify(context.Background(), c, Credentials{Secret: tt.secret})
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			var e *jeton.Error
			if err != nil && (!errors.As(err, &e) || e.Code != jeton.CodeInvalidClient) {
				t.Errorf("failure must be invalid_client, got %v", err)
			}
		})
	}
}

func TestPresentationMustMatchRegisteredMethod(t *testing.T) {
	all := []Presentation{PresentedNothing, PresentedBasic, PresentedPost, PresentedAssertion, PresentedClientID}
	fits := map[jeton.AuthMethod]Presentation{
		jeton.AuthSecretBasic: PresentedBasic, jeton.AuthSecretPost: PresentedPost,
		jeton.AuthSecretJWT: PresentedAssertion, jeton.AuthPrivateKey: PresentedAssertion, jeton.AuthNone: PresentedClientID,
	}
	for m, want := range fits {
		for _, p := range all {
			if got := presentationFits(p, m); got != (p == want) {
				t.Errorf("%s with presentation %d: fits=%v", m, p, got)
			}
		}
	}
}

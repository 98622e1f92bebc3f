package keys

import (
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// TestResealConsoleTOTP: a console user's TOTP secret is a sealed value like the
// others: a KEK rotation moves it to the new KEK, after which the new KEK alone opens
// it, and it never opens as another user's secret.
func TestResealConsoleTOTP(t *testing.T) {
	forEachSharedStore(t, func(t *testing.T, store jeton.Store) {
		ctx := t.Context()
		old, err := NewTOTPSealer(oldKEK)
		if err != nil {
			t.Fatal(err)
		}
		u := jeton.ConsoleUser{ID: "u-1", Username: "olga", Role: jeton.ConsoleOperator, PasswordHash: "x",
			TOTPSealed: old.Seal("u-1", "JBSWY3DPEHPK3PXP"), CreatedAt: time.Now()}
		if err := store.CreateConsoleUser(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Open("u-2", u.TOTPSealed); err == nil {
			t.Fatal("a TOTP secret opened as another user's")
		}
		res, err := Reseal(ctx, store, mustRing(t, newKEK, oldKEK))
		if err != nil || res.Resealed[jeton.SealedConsoleTOTP] != 1 {
			t.Fatalf("Reseal = %+v, %v", res, err)
		}
		got, err := store.GetConsoleUser(ctx, "u-1")
		if err != nil {
			t.Fatal(err)
		}
		next, _ := NewTOTPSealer(newKEK)
		if secret, err := next.Open("u-1", got.TOTPSealed); err != nil || secret != "JBSWY3DPEHPK3PXP" {
			t.Fatalf("under the new KEK alone: %q, %v", secret, err)
		}
	})
}

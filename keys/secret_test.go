package keys

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jeton/jeton"
)

func TestSecretSealRoundTripAndBinding(t *testing.T) {
	kek := bytes.Repeat([]byte{3}, KEKSize)
	other := bytes.Repeat([]byte{4}, KEKSize)
	secret := jeton.NewSecret()
	sealed, err := SealSecret(kek, "client-a", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(secret)) {
		t.Fatal("sealed blob contains the secret in clear")
	}
	got, err := OpenSecret(kek, "client-a", sealed)
	if err != nil || got != secret {
		t.Fatalf("OpenSecret = %q, %v; want the secret", got, err)
	}
	again, _ := SealSecret(kek, "client-a", secret)
	if bytes.Equal(again, sealed) {
		t.Error("two seals of one secret are equal: nonce reused")
	}

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	// A signing-key blob sealed under the bare client id must not open as a secret.
	s, _ := NewKeyring(kek)
	keyBlob := s.seal("client-a", []byte(secret))
	bad := []struct {
		name   string
		kek    []byte
		client string
		sealed []byte
	}{
		{"other client", kek, "client-b", sealed},
		{"wrong kek", other, "client-a", sealed},
		{"tampered", kek, "client-a", tampered},
		{"truncated", kek, "client-a", sealed[:10]},
		{"empty", kek, "client-a", nil},
		{"signing-key domain", kek, "client-a", keyBlob},
		{"short kek", kek[:16], "client-a", sealed},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenSecret(tt.kek, tt.client, tt.sealed)
			if err == nil {
				t.Fatalf("opened %q; want an error", got)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error reveals the secret: %v", err)
			}
		})
	}
	if _, err := SealSecret(kek[:31], "client-a", secret); err == nil {
		t.Error("SealSecret accepted a 31-byte KEK")
	}
}

func TestSecretSealerMatchesFunctions(t *testing.T) {
	kek := bytes.Repeat([]byte{9}, KEKSize)
	ss, err := NewSecretSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	sealed := ss.Seal("c1", "the-secret-value")
	if got, err := OpenSecret(kek, "c1", sealed); err != nil || got != "the-secret-value" {
		t.Fatalf("OpenSecret(Seal) = %q, %v", got, err)
	}
	fromFunc, _ := SealSecret(kek, "c1", "the-secret-value")
	if got, err := ss.Open("c1", fromFunc); err != nil || string(got) != "the-secret-value" {
		t.Fatalf("Open(SealSecret) = %q, %v", got, err)
	}
	if _, err := ss.Open("c2", fromFunc); err == nil {
		t.Fatal("opened another client's secret")
	}
	if _, err := NewSecretSealer(nil); err == nil {
		t.Fatal("NewSecretSealer accepted no KEK")
	}
}

// BenchmarkSecretOpen is the client_secret_jwt hot path's unsealing: an envelope under
// the current KEK, one under a previous KEK, and a legacy value (no KEK id).
func BenchmarkSecretOpen(b *testing.B) {
	ss, err := NewSecretSealer(newKEK, oldKEK)
	if err != nil {
		b.Fatal(err)
	}
	old, _ := SealSecret(oldKEK, "client-0123456789abcdef", "a-secret-of-43-characters-like-jeton-makes")
	for name, sealed := range map[string][]byte{
		"current":  ss.Seal("client-0123456789abcdef", "a-secret-of-43-characters-like-jeton-makes"),
		"previous": old,
		"legacy":   legacySealB(b, oldKEK, secretAAD+"client-0123456789abcdef", []byte("a-secret-of-43-characters-like-jeton-makes")),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ss.Open("client-0123456789abcdef", sealed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func legacySealB(b *testing.B, kek []byte, purpose string, plaintext []byte) []byte {
	r, _ := NewKeyring(kek)
	aead := r.keys[0].aead
	nonce := make([]byte, aead.NonceSize())
	return aead.Seal(nonce, nonce, plaintext, []byte(purpose))
}

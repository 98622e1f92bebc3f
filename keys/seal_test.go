package keys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

var (
	oldKEK = bytes.Repeat([]byte{0x0a}, KEKSize)
	newKEK = bytes.Repeat([]byte{0x0b}, KEKSize)
)

// legacySeal is the sealing of jeton before KEK ids (nonce || ciphertext || tag, the
// purpose alone as additional data), kept verbatim so that the tests prove values
// written by that version still open.
func legacySeal(t *testing.T, kek []byte, purpose string, plaintext []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(kek)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	ns := aead.NonceSize()
	out := make([]byte, ns, ns+len(plaintext)+aead.Overhead())
	_, _ = rand.Read(out)
	return aead.Seal(out, out[:ns], plaintext, []byte(purpose))
}

func mustRing(t *testing.T, current []byte, previous ...[]byte) *Keyring {
	t.Helper()
	r, err := NewKeyring(current, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestKEKIDIsStableAndDistinct(t *testing.T) {
	if KEKID(oldKEK) != KEKID(bytes.Clone(oldKEK)) {
		t.Fatal("KEKID differs for equal keys")
	}
	if KEKID(oldKEK) == KEKID(newKEK) {
		t.Fatal("two keys share a KEK id")
	}
	if len(KEKID(oldKEK)) != 2*kekIDSize {
		t.Fatalf("KEKID = %q, want %d hex digits", KEKID(oldKEK), 2*kekIDSize)
	}
	r := mustRing(t, newKEK, oldKEK, newKEK, oldKEK)
	if got := r.IDs(); len(got) != 2 || got[0] != KEKID(newKEK) || got[1] != KEKID(oldKEK) || r.CurrentID() != got[0] {
		t.Fatalf("IDs = %v, want [%s %s] (current first, duplicates once)", got, KEKID(newKEK), KEKID(oldKEK))
	}
	if _, err := NewKeyring(newKEK, oldKEK[:16]); err == nil || !strings.Contains(err.Error(), "previous key-encryption key is 16 bytes") {
		t.Fatalf("NewKeyring with a short previous KEK = %v", err)
	}
}

// TestEnvelopeNamesItsKEK: a value is sealed under the current KEK with its id in
// the clear, opens under any ring that holds that KEK, and under a ring without it
// fails with an error naming both the id it needs and the ids configured.
func TestEnvelopeNamesItsKEK(t *testing.T) {
	secret := []byte("the plaintext")
	sealed := mustRing(t, newKEK, oldKEK).seal("purpose", secret)
	newID := kekIDOf(newKEK)
	if id, ok := envelopeID(sealed); !ok || !bytes.Equal(id, newID[:]) {
		t.Fatalf("envelope id = %x, %v; want the current KEK's", id, ok)
	}
	for name, r := range map[string]*Keyring{
		"same ring":          mustRing(t, newKEK, oldKEK),
		"as previous KEK":    mustRing(t, oldKEK, newKEK),
		"alone, no previous": mustRing(t, newKEK),
	} {
		if got, err := r.open("purpose", sealed); err != nil || !bytes.Equal(got, secret) {
			t.Errorf("%s: open = %q, %v", name, got, err)
		}
	}
	_, err := mustRing(t, oldKEK).open("purpose", sealed)
	var unknown *UnknownKEKError
	if !errors.As(err, &unknown) || unknown.ID != KEKID(newKEK) || len(unknown.Configured) != 1 || unknown.Configured[0] != KEKID(oldKEK) {
		t.Fatalf("open under the old KEK alone = %v, want UnknownKEKError naming %s", err, KEKID(newKEK))
	}
	if _, err := mustRing(t, newKEK).open("other purpose", sealed); !errors.Is(err, errUnseal) {
		t.Errorf("open for another purpose = %v, want %v", err, errUnseal)
	}
	// The id is authenticated: relabelling a value with another configured KEK's id
	// does not make it open (nor does it under its real KEK, whose header changed).
	relabelled := bytes.Clone(sealed)
	oldID := kekIDOf(oldKEK)
	copy(relabelled[len(envelopeMagic):], oldID[:])
	if _, err := mustRing(t, newKEK, oldKEK).open("purpose", relabelled); err == nil {
		t.Error("a value relabelled with another KEK id opened")
	}
	for n := range headerSize + 12 + 16 {
		if _, err := mustRing(t, newKEK).open("purpose", sealed[:n]); err == nil {
			t.Fatalf("a value truncated to %d bytes opened", n)
		}
	}
}

// TestLegacyValuesStillOpen: values written before KEK ids existed open under the KEK
// that sealed them, current or previous, and are reported as legacy.
func TestLegacyValuesStillOpen(t *testing.T) {
	secret := []byte("sealed by the previous version")
	legacy := legacySeal(t, oldKEK, "kid-1", secret)
	for name, r := range map[string]*Keyring{"current": mustRing(t, oldKEK), "previous": mustRing(t, newKEK, oldKEK)} {
		got, err := r.open("kid-1", legacy)
		if err != nil || !bytes.Equal(got, secret) {
			t.Errorf("%s: open legacy = %q, %v", name, got, err)
		}
		id, isLegacy, err := r.sealedUnder("kid-1", legacy)
		if err != nil || !isLegacy || id != KEKID(oldKEK) {
			t.Errorf("%s: sealedUnder = %s, %v, %v; want %s, legacy", name, id, isLegacy, err, KEKID(oldKEK))
		}
	}
	if _, err := mustRing(t, newKEK).open("kid-1", legacy); !errors.Is(err, errUnseal) {
		t.Errorf("open legacy under another KEK = %v, want %v", err, errUnseal)
	}
	if _, err := mustRing(t, oldKEK).open("kid-2", legacy); err == nil {
		t.Error("a legacy value opened for another purpose")
	}
	// A legacy nonce may begin with the magic by chance (once in 2^32 values); such a
	// value still opens.
	block, _ := aes.NewCipher(oldKEK)
	aead, _ := cipher.NewGCM(block)
	nonce := append([]byte(envelopeMagic), 1, 2, 3, 4, 5, 6, 7, 8)
	chance := aead.Seal(bytes.Clone(nonce), nonce, secret, []byte("kid-1"))
	if got, err := mustRing(t, newKEK, oldKEK).open("kid-1", chance); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("legacy value whose nonce starts with the magic: %q, %v", got, err)
	}
}

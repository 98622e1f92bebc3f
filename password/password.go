// Package password hashes and verifies customer passwords with argon2id (RFC 9106),
// encoded as PHC strings so that the parameters travel with each hash and can be raised
// later without invalidating stored passwords.
//
// Client secrets do not come here: they are 256-bit random values, for which a SHA-256
// digest suffices (DESIGN rule 5). argon2id is for low-entropy, human-chosen secrets.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	MemoryKiB uint32 // m: memory in KiB
	Passes    uint32 // t: number of passes over memory
	Lanes     uint8  // p: degree of parallelism
}

// DefaultParams is the OWASP Password Storage Cheat Sheet minimum for argon2id:
// 19 MiB of memory, 2 passes, 1 lane.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Passes: 2, Lanes: 1}

// Bounds on parameters accepted from a stored string. A hash string comes from the
// database; without bounds a tampered or corrupt row could make a single login
// allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxPasses    = 10
	maxLanes     = 16
	minMemoryKiB = 8 // argon2 requires m >= 8*p; checked per lane below
)

const (
	saltLen = 16 // RFC 9106 §3.1 recommends 128-bit salts
	keyLen  = 32 // 256-bit tag
	// Lengths accepted when verifying, so that hashes made with other tools still work
	// but absurd sizes are refused.
	minSaltLen, maxSaltLen = 8, 64
	minKeyLen, maxKeyLen   = 16, 64
)

// Password length bounds, in bytes. The upper bound stops a huge password from being
// an amplification vector; argon2 itself accepts any length.
const (
	MinLen = 8
	MaxLen = 1024
)

var (
	// ErrMalformed reports a string that is not a well-formed argon2id PHC string.
	ErrMalformed = errors.New("password: malformed argon2id hash")
	// ErrParams reports parameters outside the accepted bounds.
	ErrParams = errors.New("password: argon2id parameters out of bounds")
)

// Validate reports whether pw is acceptable as a new password: MinLen..MaxLen bytes of
// valid UTF-8.
func Validate(pw string) error {
	switch {
	case len(pw) < MinLen:
		return fmt.Errorf("password must be at least %d bytes", MinLen)
	case len(pw) > MaxLen:
		return fmt.Errorf("password must be at most %d bytes", MaxLen)
	case !utf8.ValidString(pw):
		return errors.New("password must be valid UTF-8")
	}
	return nil
}

// Check reports whether p is within the bounds Verify accepts; Hash refuses anything
// Verify could not later read back.
func (p Params) Check() error {
	if p.Lanes < 1 || p.Lanes > maxLanes ||
		p.Passes < 1 || p.Passes > maxPasses ||
		p.MemoryKiB < minMemoryKiB*uint32(p.Lanes) || p.MemoryKiB > maxMemoryKiB {
		return fmt.Errorf("%w: m=%d,t=%d,p=%d", ErrParams, p.MemoryKiB, p.Passes, p.Lanes)
	}
	return nil
}

// Hash derives an argon2id hash of pw with a fresh random salt and returns it as a PHC
// string: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash> (unpadded standard
// base64, as the PHC string format specifies).
func Hash(pw string, p Params) (string, error) {
	if err := p.Check(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+)
	key := argon2.IDKey([]byte(pw), salt, p.Passes, p.MemoryKiB, p.Lanes, keyLen)
	return encode(p, salt, key), nil
}

// Verify reports whether pw matches the PHC string phc. The comparison is constant-time.
// A malformed string or one with parameters beyond the bounds is an error, not a
// mismatch, so that corrupt rows are noticed.
func Verify(pw, phc string) (bool, error) {
	p, salt, want, err := decode(phc)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Passes, p.MemoryKiB, p.Lanes, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Decoy returns a PHC string with phc's parameters and salt and tag lengths but a
// fresh random salt and tag, so that verifying any password against it costs exactly
// what verifying against phc costs while telling nothing about phc. A malformed phc is
// an error, as for Verify.
func Decoy(phc string) (string, error) {
	p, salt, key, err := decode(phc)
	if err != nil {
		return "", err
	}
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+)
	_, _ = rand.Read(key)
	return encode(p, salt, key), nil
}

var b64 = base64.RawStdEncoding.Strict()

// decodeB64 decodes one PHC base64 field. encoding/base64 skips CR and LF even in
// strict mode, so a field carrying them would decode to bytes that encode back to a
// different string; the PHC format has no line breaks, so they make the string
// malformed.
func decodeB64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, ErrMalformed
	}
	return b64.DecodeString(s)
}

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Passes, p.Lanes,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses a PHC string strictly: the fields in the fixed order Hash writes, the
// version argon2 implements, bounded parameters, salt and hash of sane lengths.
func decode(phc string) (Params, []byte, []byte, error) {
	parts := strings.Split(phc, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformed
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrMalformed, parts[2])
	}
	p, err := parseParams(parts[3])
	if err != nil {
		return Params{}, nil, nil, err
	}
	salt, err := decodeB64(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return Params{}, nil, nil, fmt.Errorf("%w: bad salt", ErrMalformed)
	}
	key, err := decodeB64(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return Params{}, nil, nil, fmt.Errorf("%w: bad hash", ErrMalformed)
	}
	return p, salt, key, nil
}

func parseParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, fmt.Errorf("%w: bad parameters", ErrMalformed)
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
			return Params{}, fmt.Errorf("%w: bad parameter %q", ErrMalformed, fields[i])
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return Params{}, fmt.Errorf("%w: bad parameter %q", ErrMalformed, fields[i])
		}
		vals[i] = n
	}
	if vals[2] > maxLanes {
		return Params{}, fmt.Errorf("%w: p=%d", ErrParams, vals[2])
	}
	p := Params{MemoryKiB: uint32(vals[0]), Passes: uint32(vals[1]), Lanes: uint8(vals[2])}
	return p, p.Check()
}

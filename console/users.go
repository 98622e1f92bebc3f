package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/clients"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/password"
)

// RecoveryCodes is how many one-time recovery codes a new console user gets.
const RecoveryCodes = 10

// totpIssuer names jeton in the authenticator app (Key URI Format, "issuer").
const totpIssuer = "jeton"

// NewUser is what CreateUser made: the TOTP secret, its otpauth:// URI and the
// recovery codes. None of them is ever shown again: the store keeps the secret sealed
// and only digests of the codes.
type NewUser struct {
	User          jeton.ConsoleUser
	TOTPSecret    string
	TOTPURI       string
	RecoveryCodes []string
}

// UserInput is a console user to create.
type UserInput struct {
	Username      string
	Role          jeton.ConsoleRole
	InstitutionID string
	Password      string
}

// CreateUser validates in, hashes the password (argon2id), makes a TOTP secret
// (RFC 6238, 160-bit, SHA-1, 6 digits, 30 s: what every authenticator app reads) and
// recovery codes, and stores the user with the codes' digests in one call.
func CreateUser(ctx context.Context, store jeton.Store, sealer *keys.TOTPSealer, params password.Params, in UserInput, now time.Time) (NewUser, error) {
	if err := checkUserInput(ctx, store, in); err != nil {
		return NewUser{}, err
	}
	hash, err := password.Hash(in.Password, params)
	if err != nil {
		return NewUser{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: in.Username,
		Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return NewUser{}, err
	}
	u := jeton.ConsoleUser{ID: jeton.NewID(), Username: in.Username, Role: in.Role,
		InstitutionID: in.InstitutionID, PasswordHash: hash, CreatedAt: now.UTC().Truncate(time.Microsecond)}
	u.TOTPSealed = sealer.Seal(u.ID, key.Secret())
	codes, digests := newRecoveryCodes()
	if err := store.CreateConsoleUser(ctx, u, digests); err != nil {
		if errors.Is(err, jeton.ErrConflict) {
			return NewUser{}, fmt.Errorf("username %q is taken", in.Username)
		}
		return NewUser{}, err
	}
	ev := jeton.AuditEvent{ID: jeton.NewID(), At: u.CreatedAt, InstitutionID: u.InstitutionID,
		Actor: "cli", Action: jeton.ActionConsoleUserCreate, Subject: u.ID,
		Details: map[string]string{"username": u.Username, "role": string(u.Role)}}
	if err := store.AppendAudit(ctx, ev); err != nil {
		return NewUser{}, err
	}
	return NewUser{User: u, TOTPSecret: key.Secret(), TOTPURI: key.URL(), RecoveryCodes: codes}, nil
}

func checkUserInput(ctx context.Context, store jeton.Store, in UserInput) error {
	if err := clients.CheckText("username", in.Username, 64); err != nil {
		return err
	}
	if strings.ContainsAny(in.Username, " :/") {
		return errors.New("username: no spaces, colons or slashes")
	}
	if err := password.Validate(in.Password); err != nil {
		return fmt.Errorf("password: %w", err)
	}
	switch in.Role {
	case jeton.ConsoleOperator:
		if in.InstitutionID != "" {
			return errors.New("an operator runs every institution: omit --institution")
		}
	case jeton.ConsoleInstitutionAdmin:
		if in.InstitutionID == "" {
			return errors.New("an institution-admin needs --institution")
		}
		if _, err := store.GetInstitution(ctx, in.InstitutionID); err != nil {
			if errors.Is(err, jeton.ErrNotFound) {
				return fmt.Errorf("institution %q not found", in.InstitutionID)
			}
			return err
		}
	default:
		return fmt.Errorf("role must be %s or %s", jeton.ConsoleOperator, jeton.ConsoleInstitutionAdmin)
	}
	return nil
}

// recoveryAlphabet has no look-alike characters (0/o, 1/l/i).
const recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// newRecoveryCodes returns RecoveryCodes codes of 10 characters (about 50 bits each)
// shown as xxxxx-xxxxx, and their digests.
func newRecoveryCodes() ([]string, [][]byte) {
	codes := make([]string, RecoveryCodes)
	digests := make([][]byte, RecoveryCodes)
	for i := range codes {
		var b [10]byte
		for j := range b {
			b[j] = recoveryAlphabet[randIndex(len(recoveryAlphabet))]
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
		digests[i] = recoveryDigest(codes[i])
	}
	return codes, digests
}

// randIndex is a uniform random index below n (rejection sampling, no modulo bias).
func randIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		_, _ = rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// recoveryDigest is the stored form of a code, insensitive to case, spaces and dashes.
func recoveryDigest(code string) []byte {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(code))
	d := sha256.Sum256([]byte(norm))
	return d[:]
}

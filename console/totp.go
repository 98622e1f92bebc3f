package console

import (
	"crypto/subtle"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpPeriod is the RFC 6238 §4.1 time step X.
const totpPeriod = 30

// totpSkew is how many steps either side of now a code is accepted (RFC 6238 §5.2:
// one step back for transmission delay; one ahead for a fast phone clock).
const totpSkew = 1

// matchTOTP returns the RFC 6238 time step T whose code equals code, trying now's step
// first. The caller spends the step with one atomic store call
// (jeton.ConsoleStore.UseConsoleTOTPStep), so no code is accepted twice (RFC 6238
// §5.2: "the verifier MUST NOT accept the second attempt of the OTP after the
// successful validation has been issued for the first OTP").
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for _, d := range []int64{0, -1, 1} {
		if d < -totpSkew || d > totpSkew {
			continue
		}
		t := step + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(t*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t, true
		}
	}
	return 0, false
}

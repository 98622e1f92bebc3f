package main

import (
	"github.com/spf13/pflag"

	"github.com/jeton/jeton/ratelimit"
)

// bindRateLimitFlags declares the global rate-limit budgets (docs/rate-limits.md):
// --ratelimit-<budget> in requests per second (0: off) and --ratelimit-<budget>-burst.
func bindRateLimitFlags(f *pflag.FlagSet, c *ratelimit.Config) {
	d := ratelimit.Defaults
	budget := func(b *ratelimit.Budget, def ratelimit.Budget, name, what string) {
		f.Float64Var(&b.Rate, "ratelimit-"+name, def.Rate, what+", per second on average (0: no limit)")
		f.IntVar(&b.Burst, "ratelimit-"+name+"-burst", def.Burst, what+", at once (the bucket size)")
	}
	budget(&c.Address, d.Address, "address", "token requests from one client address")
	budget(&c.Client, d.Client, "client", "token requests of one authenticated client (overridable per institution and client: jeton ratelimit set)")
	budget(&c.FailedAuthAddress, d.FailedAuthAddress, "failed-auth-address", "failed client authentications from one client address")
	budget(&c.FailedAuthClient, d.FailedAuthClient, "failed-auth-client", "failed client authentications naming one client id")
	budget(&c.PasswordAddress, d.PasswordAddress, "password-address", "customer password checks (password grant, sign-in page) from one client address")
	budget(&c.PasswordCustomer, d.PasswordCustomer, "password-customer", "customer password checks for one username of one institution")
	f.IntVar(&c.MaxKeys, "ratelimit-max-keys", 100000, "most addresses, clients or customers each rate-limit map keeps buckets for")
}

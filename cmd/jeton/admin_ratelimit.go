package main

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// newRateLimitCmd is `jeton ratelimit set|get|list|delete`: per-institution and
// per-client overrides of the token-request budget (docs/rate-limits.md).
func newRateLimitCmd() *cobra.Command {
	group := &cobra.Command{Use: "ratelimit", Short: "Manage per-institution and per-client rate-limit overrides (else --ratelimit-client applies)"}
	conn := addAdminFlags(group)
	// scoped runs fn for the command's SCOPE ID arguments with an admin client.
	scoped := func(fn func(cmd *cobra.Command, c *adminapi.Client, scope jeton.RateLimitScope, id string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			scope := jeton.RateLimitScope(args[0])
			if !slices.Contains(jeton.RateLimitScopes, scope) {
				return fmt.Errorf("scope %q: must be institution or client", args[0])
			}
			c, err := conn.Client()
			if err != nil {
				return err
			}
			return fn(cmd, c, scope, args[1])
		}
	}
	show := func(cmd *cobra.Command, v adminapi.RateLimitView) error {
		return conn.PrintOne(cmd.OutOrStdout(), v, [][2]string{{"scope", string(v.Scope)}, {"id", v.ID},
			{"rate", rateCell(v.Rate)}, {"burst", strconv.Itoa(v.Burst)}, {"updated_at", cellTime(v.UpdatedAt)}})
	}
	var in adminapi.RateLimitInput
	set := &cobra.Command{
		Use:   "set institution|client ID --rate R --burst B",
		Short: "Set (replace) the token-request budget of an institution's clients or of one client",
		Example: `  jeton ratelimit set client CLIENT_ID --rate 50 --burst 100
  jeton ratelimit set institution INSTITUTION_ID --rate 0     # no limit for its clients`,
		Args: cobra.ExactArgs(2),
		RunE: scoped(func(cmd *cobra.Command, c *adminapi.Client, scope jeton.RateLimitScope, id string) error {
			v, err := c.SetRateLimit(cmd.Context(), scope, id, in)
			if err != nil {
				return err
			}
			return show(cmd, v)
		}),
	}
	set.Flags().Float64Var(&in.Rate, "rate", 0, "requests per second on average (0: no limit)")
	set.Flags().IntVar(&in.Burst, "burst", 0, "requests at once (the bucket size; at least 1 when --rate is set)")
	_ = set.MarkFlagRequired("rate")
	get := &cobra.Command{
		Use:   "get institution|client ID",
		Short: "Show one override",
		Args:  cobra.ExactArgs(2),
		RunE: scoped(func(cmd *cobra.Command, c *adminapi.Client, scope jeton.RateLimitScope, id string) error {
			v, err := c.GetRateLimit(cmd.Context(), scope, id)
			if err != nil {
				return err
			}
			return show(cmd, v)
		}),
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List every override",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			items, err := c.ListRateLimits(cmd.Context())
			if err != nil {
				return err
			}
			rows := make([][]string, len(items))
			for i, v := range items {
				rows[i] = []string{string(v.Scope), v.ID, rateCell(v.Rate), strconv.Itoa(v.Burst), cellTime(v.UpdatedAt)}
			}
			return conn.PrintList(cmd.OutOrStdout(), items, []string{"SCOPE", "ID", "RATE", "BURST", "UPDATED"}, rows)
		},
	}
	del := &cobra.Command{
		Use:   "delete institution|client ID",
		Short: "Remove an override: the institution's (for a client) or the global budget applies again",
		Args:  cobra.ExactArgs(2),
		RunE: scoped(func(cmd *cobra.Command, c *adminapi.Client, scope jeton.RateLimitScope, id string) error {
			if err := c.DeleteRateLimit(cmd.Context(), scope, id); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: rate-limit override deleted\n", scope, id)
			return nil
		}),
	}
	group.AddCommand(set, get, list, del)
	return group
}

// rateCell shows a rate; 0 is no limit.
func rateCell(r float64) string {
	if r == 0 {
		return "unlimited"
	}
	return strconv.FormatFloat(r, 'g', -1, 64) + "/s"
}

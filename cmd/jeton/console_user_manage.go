package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/console"
	"github.com/jeton/jeton/module"
)

// newConsoleUserListCmd lists console users straight from the database, like the
// console's "Console users" page (docs/console.md).
func newConsoleUserListCmd() *cobra.Command {
	var f kekFlags
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List console users with role, institution, state and last sign-in",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("--output must be table or json")
			}
			store, _, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			users, err := console.ListUsers(cmd.Context(), store)
			if err != nil {
				return err
			}
			return printConsoleUsers(cmd.OutOrStdout(), output, users, time.Now())
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

// newConsoleUserSetCmd is `console-user disable` or `console-user enable`: the same
// change as the console's users page (console.SetUserDisabled), audited with actor
// "cli". Disabling ends the user's sessions at once.
func newConsoleUserSetCmd(disable bool) *cobra.Command {
	var f kekFlags
	var username string
	use, short := "enable", "Let a disabled console user sign in again"
	if disable {
		use, short = "disable", "Disable a console user: sign-in refused, every session ended at once"
	}
	cmd := &cobra.Command{
		Use:   use + " --username NAME",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, _, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			ctx := cmd.Context()
			u, err := store.GetConsoleUserByUsername(ctx, username)
			if errors.Is(err, jeton.ErrNotFound) {
				return fmt.Errorf("no console user %q", username)
			}
			if err != nil {
				return err
			}
			if err := console.SetUserDisabled(ctx, store, "cli", "", u, disable, nil, time.Now()); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "console user %s %sd\n", u.Username, use)
			return err
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&username, "username", "", "the console user's sign-in name")
	_ = cmd.MarkFlagRequired("username")
	return cmd
}

// consoleUserJSON is a console user as `console-user list -o json` prints it: never
// its password hash or TOTP secret.
type consoleUserJSON struct {
	ID            string    `json:"id"`
	Username      string    `json:"username"`
	Role          string    `json:"role"`
	InstitutionID string    `json:"institution_id,omitempty"`
	Disabled      bool      `json:"disabled"`
	DisabledAt    time.Time `json:"disabled_at,omitzero"`
	LockedUntil   time.Time `json:"locked_until,omitzero"`
	LastSignInAt  time.Time `json:"last_sign_in_at,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
}

func printConsoleUsers(w io.Writer, output string, users []jeton.ConsoleUser, now time.Time) error {
	if output == "json" {
		out := make([]consoleUserJSON, len(users))
		for i, u := range users {
			out[i] = consoleUserJSON{ID: u.ID, Username: u.Username, Role: string(u.Role), InstitutionID: u.InstitutionID,
				Disabled: u.Disabled(), DisabledAt: u.DisabledAt, LastSignInAt: u.LastSignInAt, CreatedAt: u.CreatedAt}
			if u.LockedUntil.After(now) {
				out[i].LockedUntil = u.LockedUntil
			}
		}
		return json.NewEncoder(w).Encode(map[string]any{"items": out})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tROLE\tINSTITUTION\tSTATE\tLAST SIGN-IN")
	for _, u := range users {
		state := "active"
		switch {
		case u.Disabled():
			state = "disabled"
		case u.LockedUntil.After(now):
			state = "locked until " + module.CellTime(u.LockedUntil)
		}
		inst := u.InstitutionID
		if inst == "" {
			inst = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Username, u.Role, inst, state, module.CellTime(u.LastSignInAt))
	}
	return tw.Flush()
}

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/console"
	"github.com/jeton/jeton/keys"
	"github.com/jeton/jeton/password"
)

func newConsoleUserCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "console-user", Short: "Manage web console users (docs/console.md)"}
	cmd.AddCommand(newConsoleUserCreateCmd(), newConsoleUserUnlockCmd(), newConsoleUserListCmd(),
		newConsoleUserSetCmd(true), newConsoleUserSetCmd(false))
	return cmd
}

// newConsoleUserCreateCmd creates a console user straight in the database, as `kek`
// does: the first operator must exist before anyone can sign in, so this cannot go
// through the console or need the admin token. The password is read from stdin (never
// a flag, which would land in shell history and ps).
func newConsoleUserCreateCmd() *cobra.Command {
	var f kekFlags
	var username, role, institution, output string
	cmd := &cobra.Command{
		Use:   "create --role operator|institution-admin --username NAME [--institution ID] < password",
		Short: "Create a console user; prints the TOTP secret, its otpauth:// URI and recovery codes once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("--output must be table or json")
			}
			pw, err := readPassword(cmd.InOrStdin())
			if err != nil {
				return err
			}
			store, _, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			sealer, err := keys.NewTOTPSealer(f.kek)
			if err != nil {
				return err
			}
			nu, err := console.CreateUser(cmd.Context(), store, sealer, password.DefaultParams, console.UserInput{
				Username: username, Role: jeton.ConsoleRole(role), InstitutionID: institution, Password: pw}, time.Now())
			if err != nil {
				return err
			}
			return printNewUser(cmd.OutOrStdout(), output, nu)
		},
	}
	f.bind(cmd)
	fs := cmd.Flags()
	fs.StringVar(&username, "username", "", "the user's sign-in name")
	fs.StringVar(&role, "role", "", "operator (every institution) or institution-admin (one institution)")
	fs.StringVar(&institution, "institution", "", "the institution an institution-admin runs")
	fs.StringVarP(&output, "output", "o", "table", "output format: table or json")
	_ = cmd.MarkFlagRequired("username")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

// newConsoleUserUnlockCmd ends a console user's lockout before its cooldown (the
// operator who locked themselves out has no console to do it from).
func newConsoleUserUnlockCmd() *cobra.Command {
	var f kekFlags
	cmd := &cobra.Command{
		Use:   "unlock USERNAME",
		Short: "End a console user's sign-in lockout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, _, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			ctx := cmd.Context()
			u, err := store.GetConsoleUserByUsername(ctx, args[0])
			if errors.Is(err, jeton.ErrNotFound) {
				return fmt.Errorf("no console user %q", args[0])
			}
			if err != nil {
				return err
			}
			if err := store.UnlockConsoleUser(ctx, u.ID); err != nil {
				return err
			}
			if err := store.AppendAudit(ctx, jeton.AuditEvent{ID: jeton.NewID(), At: time.Now().UTC(), InstitutionID: u.InstitutionID,
				Actor: "cli", Action: jeton.ActionConsoleUserUnlock, Subject: u.ID}); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "console user %s unlocked\n", u.Username)
			return err
		},
	}
	f.bind(cmd)
	return cmd
}

// readPassword reads the first line of r.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, password.MaxLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on stdin")
	}
	return pw, nil
}

func printNewUser(w io.Writer, output string, nu console.NewUser) error {
	if output == "json" {
		return json.NewEncoder(w).Encode(map[string]any{
			"id": nu.User.ID, "username": nu.User.Username, "role": nu.User.Role,
			"institution_id": nu.User.InstitutionID, "totp_secret": nu.TOTPSecret,
			"otpauth_uri": nu.TOTPURI, "recovery_codes": nu.RecoveryCodes,
		})
	}
	_, err := fmt.Fprintf(w, "console user %s (%s) created\nTOTP secret: %s\notpauth URI: %s\nrecovery codes (each works once; shown only now):\n  %s\n",
		nu.User.Username, nu.User.Role, nu.TOTPSecret, nu.TOTPURI, strings.Join(nu.RecoveryCodes, "\n  "))
	return err
}

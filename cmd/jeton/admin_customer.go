package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/password"
)

func newCustomerCmd() *cobra.Command {
	group := &cobra.Command{Use: "customer", Short: "Manage an institution's customers (end users)"}
	conn := addAdminFlags(group)
	var institution string
	group.PersistentFlags().StringVar(&institution, "institution", "", "institution id (required)")
	_ = group.MarkPersistentFlagRequired("institution")
	group.AddCommand(customerCreateCmd(conn, &institution), customerListCmd(conn, &institution),
		customerShowCmd(conn, &institution), customerPasswordCmd(conn, &institution), customerUnlockCmd(conn, &institution),
		customerConsentsCmd(conn, &institution))
	return group
}

func customerCreateCmd(conn *adminConn, institution *string) *cobra.Command {
	var username string
	var claims []string
	cmd := &cobra.Command{
		Use:   "create --institution ID --username NAME [--claim k=v]...",
		Short: "Create a customer; the password is read from stdin or prompted for",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := parseClaims(claims)
			if err != nil {
				return err
			}
			c, err := conn.Client()
			if err != nil {
				return err
			}
			pw, err := readNewPassword(cmd.InOrStdin(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			cu, err := c.CreateCustomer(cmd.Context(), *institution, adminapi.CustomerInput{Username: username, Password: pw, Claims: cl})
			if err != nil {
				return err
			}
			return printCustomer(cmd, conn, cu)
		},
	}
	cmd.Flags().StringVar(&username, "username", "", "login name, unique in the institution")
	cmd.Flags().StringArrayVar(&claims, "claim", nil, "a claim as name=value (a string), repeatable")
	_ = cmd.MarkFlagRequired("username")
	return cmd
}

// parseClaims turns repeated name=value flags into string claims.
func parseClaims(kvs []string) (map[string]any, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--claim %q: want name=value", kv)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("--claim %s given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func customerListCmd(conn *adminConn, institution *string) *cobra.Command {
	return &cobra.Command{
		Use:   "list --institution ID",
		Short: "List an institution's customers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			items, err := c.ListCustomers(cmd.Context(), *institution)
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(items))
			for _, cu := range items {
				rows = append(rows, []string{cu.ID, cu.Username, string(cu.Status), cellTime(cu.LockedUntil), cellTime(cu.CreatedAt)})
			}
			return conn.PrintList(cmd.OutOrStdout(), items, []string{"ID", "USERNAME", "STATUS", "LOCKED_UNTIL", "CREATED"}, rows)
		},
	}
}

func customerShowCmd(conn *adminConn, institution *string) *cobra.Command {
	return customerCmd(conn, institution, "show", "Show a customer", (*adminapi.Client).GetCustomer)
}

// customerCmd is a command that takes one customer id, makes one admin API call and
// prints the customer it answers with.
func customerCmd(conn *adminConn, institution *string, name, short string,
	call func(*adminapi.Client, context.Context, string, string) (jeton.Customer, error)) *cobra.Command {
	return &cobra.Command{
		Use:   name + " --institution ID CUSTOMER_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			cu, err := call(c, cmd.Context(), *institution, args[0])
			if err != nil {
				return err
			}
			return printCustomer(cmd, conn, cu)
		},
	}
}

func customerPasswordCmd(conn *adminConn, institution *string) *cobra.Command {
	return &cobra.Command{
		Use:   "set-password --institution ID CUSTOMER_ID",
		Short: "Set a customer's password (read from stdin or prompted for); clears a lockout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			pw, err := readNewPassword(cmd.InOrStdin(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := c.SetPassword(cmd.Context(), *institution, args[0], pw); err != nil {
				return err
			}
			if conn.output == "json" {
				return writeJSONTo(cmd.OutOrStdout(), map[string]string{"id": args[0], "institution_id": *institution})
			}
			fmt.Fprintln(cmd.OutOrStdout(), "password set for", args[0])
			return nil
		},
	}
}

func customerUnlockCmd(conn *adminConn, institution *string) *cobra.Command {
	return customerCmd(conn, institution, "unlock",
		"Let a locked-out customer sign in again now (clears the lockout and failed sign-ins)",
		(*adminapi.Client).UnlockCustomer)
}

func printCustomer(cmd *cobra.Command, conn *adminConn, cu jeton.Customer) error {
	rows := [][2]string{
		{"id", cu.ID}, {"institution_id", cu.InstitutionID}, {"username", cu.Username}, {"status", string(cu.Status)},
		{"failed_attempts", fmt.Sprint(cu.FailedAttempts)}, {"locked_until", cellTime(cu.LockedUntil)},
	}
	for k, v := range cu.Claims {
		rows = append(rows, [2]string{"claim " + k, fmt.Sprint(v)})
	}
	rows = append(rows, [2]string{"created_at", cellTime(cu.CreatedAt)}, [2]string{"updated_at", cellTime(cu.UpdatedAt)})
	return conn.PrintOne(cmd.OutOrStdout(), cu, rows)
}

// readNewPassword gets a password without it ever being a flag (flags end up in shell
// history and in every process listing). From a terminal it prompts twice without
// echo; otherwise it reads the first line of in, so scripts can pipe it.
func readNewPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return promptPassword(int(f.Fd()), prompt)
	}
	pw, err := firstLine(in)
	if err != nil {
		return "", err
	}
	return pw, password.Validate(pw)
}

// firstLine reads one line of at most password.MaxLen bytes, without its line ending.
func firstLine(in io.Reader) (string, error) {
	r := bufio.NewReaderSize(io.LimitReader(in, password.MaxLen+2), password.MaxLen+2)
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	if errors.Is(err, io.EOF) && len(line) > password.MaxLen {
		return "", fmt.Errorf("password on stdin is longer than %d bytes", password.MaxLen)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on stdin (the first line is read)")
	}
	return line, nil
}

func promptPassword(fd int, prompt io.Writer) (string, error) {
	fmt.Fprint(prompt, "New password: ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	if err := password.Validate(string(first)); err != nil {
		return "", err
	}
	fmt.Fprint(prompt, "Repeat password: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	if string(first) != string(second) {
		return "", errors.New("the passwords do not match")
	}
	return string(first), nil
}

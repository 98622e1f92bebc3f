package main

import (
	"github.com/spf13/cobra"
)

// newInstitutionKeyCmd is `jeton institution key`: institution-scoped admin keys, which
// manage only that institution's CardCore applications (docs/dialects/cardcore.md).
func newInstitutionKeyCmd(conn *adminConn) *cobra.Command {
	group := &cobra.Command{Use: "key", Short: "Manage an institution's scoped admin keys (CardCore application management)"}
	create := &cobra.Command{
		Use:   "create INSTITUTION_ID",
		Short: "Create an institution-scoped admin key; the key is shown only this once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.client()
			if err != nil {
				return err
			}
			k, err := c.CreateInstitutionKey(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return conn.printOne(cmd.OutOrStdout(), k, [][2]string{
				{"id", k.ID}, {"institution_id", k.InstitutionID}, {"user_id", k.UserID},
				{"created_at", cellTime(k.CreatedAt)}, {"key", k.Key},
			})
		},
	}
	list := &cobra.Command{
		Use:   "list INSTITUTION_ID",
		Short: "List an institution's admin keys (never the keys themselves)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.client()
			if err != nil {
				return err
			}
			items, err := c.ListInstitutionKeys(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(items))
			for _, k := range items {
				rows = append(rows, []string{k.ID, k.UserID, cellTime(k.CreatedAt), cellTime(k.RevokedAt)})
			}
			return conn.printList(cmd.OutOrStdout(), items, []string{"ID", "USER", "CREATED", "REVOKED"}, rows)
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke INSTITUTION_ID KEY_ID",
		Short: "Revoke an institution's admin key at once",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.client()
			if err != nil {
				return err
			}
			if err := c.RevokeInstitutionKey(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			cmd.Printf("revoked key %s\n", args[1])
			return nil
		},
	}
	group.AddCommand(create, list, revoke)
	return group
}

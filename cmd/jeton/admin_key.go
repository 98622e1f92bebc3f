package main

import (
	"github.com/spf13/cobra"

	"github.com/jeton/jeton"
)

func newKeyCmd() *cobra.Command {
	group := &cobra.Command{Use: "key", Short: "Manage jeton's token-signing keys"}
	conn := addAdminFlags(group)

	list := &cobra.Command{
		Use:   "list",
		Short: "List signing keys (metadata only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			items, err := c.ListKeys(cmd.Context())
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(items))
			for _, k := range items {
				rows = append(rows, []string{k.ID, k.Alg, cellTime(k.CreatedAt), cellTime(k.ActiveAt), cellTime(k.RetiredAt), cellTime(k.UnpublishAt)})
			}
			return conn.PrintList(cmd.OutOrStdout(), items, []string{"KID", "ALG", "CREATED", "ACTIVE", "RETIRED", "UNPUBLISH"}, rows)
		},
	}

	var alg string
	rotate := &cobra.Command{
		Use:   "rotate [--alg ES256]",
		Short: "Add a new signing key; it is published first and signs after the publish delay",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			k, err := c.RotateKey(cmd.Context(), alg)
			if err != nil {
				return err
			}
			return printKey(cmd, conn, k)
		},
	}
	rotate.Flags().StringVar(&alg, "alg", "ES256", "algorithm: ES256, RS256, PS256 or EdDSA")
	group.AddCommand(list, rotate)
	return group
}

func printKey(cmd *cobra.Command, conn *adminConn, k jeton.SigningKey) error {
	return conn.PrintOne(cmd.OutOrStdout(), k, [][2]string{
		{"kid", k.ID}, {"alg", k.Alg}, {"created_at", cellTime(k.CreatedAt)}, {"active_at", cellTime(k.ActiveAt)},
		{"retired_at", cellTime(k.RetiredAt)}, {"unpublish_at", cellTime(k.UnpublishAt)},
	})
}

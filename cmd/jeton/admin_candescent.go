package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// institutionUpdateCmd changes an institution: its name, and its Candescent alias and
// V1 switch (docs/dialects/candescent.md). Only the flags given change.
func institutionUpdateCmd(conn *adminConn) *cobra.Command {
	var name, alias, v1 string
	cmd := &cobra.Command{
		Use:   "update ID [--name NAME] [--alias 01234] [--candescent-v1 on|off]",
		Short: "Change an institution's name or Candescent settings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if !f.Changed("name") && !f.Changed("alias") && !f.Changed("candescent-v1") {
				return fmt.Errorf("nothing to change: give --name, --alias or --candescent-v1")
			}
			var up adminapi.CandescentUpdate
			if f.Changed("alias") {
				up.Alias = &alias
			}
			if f.Changed("candescent-v1") {
				on, err := onOff("candescent-v1", v1)
				if err != nil {
					return err
				}
				up.V1Enabled = &on
			}
			c, err := conn.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if f.Changed("name") {
				if _, err := c.RenameInstitution(ctx, args[0], name); err != nil {
					return err
				}
			}
			inst, err := c.GetInstitution(ctx, args[0])
			if err != nil {
				return err
			}
			cs, err := c.GetCandescent(ctx, args[0])
			if up.Alias != nil || up.V1Enabled != nil {
				cs, err = c.UpdateCandescent(ctx, args[0], up)
			}
			if err != nil {
				return err
			}
			return printInstitutionSettings(cmd, conn, inst, cs)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "display name (1..200 characters)")
	cmd.Flags().StringVar(&alias, "alias", "", `another id the Candescent institutionId/di_fiid headers may carry, e.g. "01234" ("" removes it)`)
	cmd.Flags().StringVar(&v1, "candescent-v1", "", "Candescent V1 legacy token endpoint for this institution: on or off")
	return cmd
}

func onOff(flag, v string) (bool, error) {
	switch v {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, fmt.Errorf("--%s %q: must be on or off", flag, v)
}

func printInstitutionSettings(cmd *cobra.Command, conn *adminConn, in jeton.Institution, cs jeton.CandescentSettings) error {
	v := struct {
		jeton.Institution
		Candescent jeton.CandescentSettings `json:"candescent"`
	}{in, cs}
	return conn.printOne(cmd.OutOrStdout(), v, [][2]string{
		{"id", in.ID}, {"name", in.Name}, {"alias", cs.Alias}, {"candescent_v1", strconv.FormatBool(cs.V1Enabled)},
		{"created_at", cellTime(in.CreatedAt)}, {"updated_at", cellTime(in.UpdatedAt)},
	})
}

// clientLinkCmds are `client link`, `client unlink` and `client links`: which clients
// a minter may mint Candescent authorization codes for.
func clientLinkCmds(conn *adminConn) []*cobra.Command {
	var minter, client string
	flags := func(cmd *cobra.Command, withClient bool) *cobra.Command {
		cmd.Flags().StringVar(&minter, "minter", "", "client id of the backend that mints codes")
		_ = cmd.MarkFlagRequired("minter")
		if withClient {
			cmd.Flags().StringVar(&client, "client", "", "client id the minter may mint codes for")
			_ = cmd.MarkFlagRequired("client")
		}
		return cmd
	}
	link := flags(&cobra.Command{
		Use:   "link --minter ID --client ID",
		Short: "Let a client mint Candescent authorization codes for another client",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.client()
			if err != nil {
				return err
			}
			l, err := c.LinkClients(cmd.Context(), minter, client)
			if err != nil {
				return err
			}
			return conn.printOne(cmd.OutOrStdout(), l, [][2]string{
				{"minter_id", l.MinterID}, {"client_id", l.ClientID}, {"created_at", cellTime(l.CreatedAt)}})
		},
	}, true)
	unlink := flags(&cobra.Command{
		Use:   "unlink --minter ID --client ID",
		Short: "Remove a code-minting link",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.client()
			if err != nil {
				return err
			}
			if err := c.UnlinkClients(cmd.Context(), minter, client); err != nil {
				return err
			}
			if conn.output == "json" {
				return writeJSONTo(cmd.OutOrStdout(), map[string]string{"minter_id": minter, "client_id": client, "status": "unlinked"})
			}
			fmt.Fprintln(cmd.OutOrStdout(), "unlinked", minter, "->", client)
			return nil
		},
	}, true)
	list := flags(&cobra.Command{
		Use:   "links --minter ID",
		Short: "List the clients a minter may mint codes for",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.client()
			if err != nil {
				return err
			}
			items, err := c.ListClientLinks(cmd.Context(), minter)
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(items))
			for _, l := range items {
				rows = append(rows, []string{l.MinterID, l.ClientID, cellTime(l.CreatedAt)})
			}
			return conn.printList(cmd.OutOrStdout(), items, []string{"MINTER", "CLIENT", "CREATED"}, rows)
		},
	}, false)
	return []*cobra.Command{link, unlink, list}
}

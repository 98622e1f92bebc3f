package candescentmod

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/dialect/candescent/candescentstore"
	"github.com/jeton/jeton/module"
)

// Commands are `jeton institution update` (name, alias, V1 switch) and `jeton client
// link|unlink|links`.
func (*Module) Commands(group string, cli module.CLI) []*cobra.Command {
	switch group {
	case "institution":
		return []*cobra.Command{institutionUpdateCmd(cli)}
	case "client":
		return clientLinkCmds(cli)
	}
	return nil
}

// institutionUpdateCmd changes an institution: its name, and its Candescent alias and
// V1 switch (docs/dialects/candescent.md). Only the flags given change.
func institutionUpdateCmd(conn module.CLI) *cobra.Command {
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
			var up Update
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
			c, err := conn.Client()
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
			cs, err := GetCandescent(ctx, c, args[0])
			if up.Alias != nil || up.V1Enabled != nil {
				cs, err = UpdateCandescent(ctx, c, args[0], up)
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

func printInstitutionSettings(cmd *cobra.Command, conn module.CLI, in jeton.Institution, cs candescentstore.Settings) error {
	v := struct {
		jeton.Institution
		Candescent candescentstore.Settings `json:"candescent"`
	}{in, cs}
	return conn.PrintOne(cmd.OutOrStdout(), v, [][2]string{
		{"id", in.ID}, {"name", in.Name}, {"alias", cs.Alias}, {"candescent_v1", strconv.FormatBool(cs.V1Enabled)},
		{"created_at", module.CellTime(in.CreatedAt)}, {"updated_at", module.CellTime(in.UpdatedAt)},
	})
}

// clientLinkCmds are `client link`, `client unlink` and `client links`: which clients
// a minter may mint Candescent authorization codes for.
func clientLinkCmds(conn module.CLI) []*cobra.Command {
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
			c, err := conn.Client()
			if err != nil {
				return err
			}
			l, err := LinkClients(cmd.Context(), c, minter, client)
			if err != nil {
				return err
			}
			return conn.PrintOne(cmd.OutOrStdout(), l, [][2]string{
				{"minter_id", l.MinterID}, {"client_id", l.ClientID}, {"created_at", module.CellTime(l.CreatedAt)}})
		},
	}, true)
	unlink := flags(&cobra.Command{
		Use:   "unlink --minter ID --client ID",
		Short: "Remove a code-minting link",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			if err := UnlinkClients(cmd.Context(), c, minter, client); err != nil {
				return err
			}
			if conn.JSON() {
				return conn.PrintOne(cmd.OutOrStdout(), map[string]string{"minter_id": minter, "client_id": client, "status": "unlinked"}, nil)
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
			c, err := conn.Client()
			if err != nil {
				return err
			}
			items, err := ListClientLinks(cmd.Context(), c, minter)
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(items))
			for _, l := range items {
				rows = append(rows, []string{l.MinterID, l.ClientID, module.CellTime(l.CreatedAt)})
			}
			return conn.PrintList(cmd.OutOrStdout(), items, []string{"MINTER", "CLIENT", "CREATED"}, rows)
		},
	}, false)
	return []*cobra.Command{link, unlink, list}
}

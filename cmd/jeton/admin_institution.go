package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

func newInstitutionCmd() *cobra.Command {
	group := &cobra.Command{Use: "institution", Short: "Manage institutions (tenants)"}
	conn := addAdminFlags(group)

	var name, profile string
	create := &cobra.Command{
		Use:   "create --name NAME [--default-profile fapi2]",
		Short: "Create an institution",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			inst, err := c.CreateInstitutionWith(cmd.Context(), adminapi.InstitutionInput{Name: name, DefaultProfile: &profile})
			if err != nil {
				return err
			}
			return printInstitution(cmd, conn, inst)
		},
	}
	create.Flags().StringVar(&name, "name", "", "display name (1..200 characters)")
	_ = create.MarkFlagRequired("name")
	profileHelp := `profile of the institution's clients that name none: fapi2 (FAPI 2.0 Security Profile, docs/fapi2.md) or "" for none`
	create.Flags().StringVar(&profile, "default-profile", "", profileHelp)

	update := &cobra.Command{
		Use:   "update ID [--name NAME]",
		Short: "Rename an institution or change its default client profile",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("name") {
				return fmt.Errorf("nothing to change: give --name or --default-profile")
			}
			c, err := conn.Client()
			if err != nil {
				return err
			}
			inst, err := c.RenameInstitution(cmd.Context(), args[0], name)
			if err != nil {
				return err
			}
			return printInstitution(cmd, conn, inst)
		},
	}
	update.Flags().StringVar(&name, "name", "", "new display name (1..200 characters)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List institutions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			items, err := c.ListInstitutions(cmd.Context())
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(items))
			for _, in := range items {
				rows = append(rows, []string{in.ID, in.Name, cellTime(in.CreatedAt)})
			}
			return conn.PrintList(cmd.OutOrStdout(), items, []string{"ID", "NAME", "CREATED"}, rows)
		},
	}

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show an institution",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			inst, err := c.GetInstitution(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printInstitution(cmd, conn, inst)
		},
	}
	group.AddCommand(create, list, show, newHoursCmd(conn), institutionBrandingCmd(conn))
	addModuleCommands(group, "institution", conn)
	// A vendor module may bring its own `institution update` (with its settings);
	// the core's is added only without one. Either way the core's --default-profile
	// is added to it.
	if sub, _, err := group.Find([]string{"update"}); err == nil && sub != group {
		update = sub
	} else {
		group.AddCommand(update)
	}
	withDefaultProfile(update, conn, profileHelp)
	return group
}

// withDefaultProfile adds --default-profile to an `institution update` command: given,
// it sets the institution's default_profile first (keeping its name), then runs the
// command itself when any of its own flags were given, else prints the institution.
func withDefaultProfile(cmd *cobra.Command, conn *adminConn, help string) {
	var profile string
	cmd.Flags().StringVar(&profile, "default-profile", "", help)
	cmd.Use += ` [--default-profile fapi2|""]`
	inner := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !cmd.Flags().Changed("default-profile") {
			return inner(cmd, args)
		}
		c, err := conn.Client()
		if err != nil {
			return err
		}
		cur, err := c.GetInstitution(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		inst, err := c.UpdateInstitution(cmd.Context(), args[0], adminapi.InstitutionInput{Name: cur.Name, DefaultProfile: &profile})
		if err != nil {
			return err
		}
		others := false
		cmd.LocalFlags().Visit(func(f *pflag.Flag) { others = others || f.Name != "default-profile" })
		if others {
			return inner(cmd, args)
		}
		return printInstitution(cmd, conn, inst)
	}
}

func printInstitution(cmd *cobra.Command, conn *adminConn, in jeton.Institution) error {
	return conn.PrintOne(cmd.OutOrStdout(), in, [][2]string{
		{"id", in.ID}, {"name", in.Name}, {"default_profile", in.DefaultProfile}, {"created_at", cellTime(in.CreatedAt)}, {"updated_at", cellTime(in.UpdatedAt)},
	})
}

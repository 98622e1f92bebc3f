package main

import (
	"github.com/spf13/cobra"

	"github.com/jeton/jeton"
)

func newInstitutionCmd() *cobra.Command {
	group := &cobra.Command{Use: "institution", Short: "Manage institutions (tenants)"}
	conn := addAdminFlags(group)

	var name string
	create := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create an institution",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			inst, err := c.CreateInstitution(cmd.Context(), name)
			if err != nil {
				return err
			}
			return printInstitution(cmd, conn, inst)
		},
	}
	create.Flags().StringVar(&name, "name", "", "display name (1..200 characters)")
	_ = create.MarkFlagRequired("name")

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
	return group
}

func printInstitution(cmd *cobra.Command, conn *adminConn, in jeton.Institution) error {
	return conn.PrintOne(cmd.OutOrStdout(), in, [][2]string{
		{"id", in.ID}, {"name", in.Name}, {"created_at", cellTime(in.CreatedAt)}, {"updated_at", cellTime(in.UpdatedAt)},
	})
}

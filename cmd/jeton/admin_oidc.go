package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton/adminapi"
)

// customerConsentsCmd is `jeton customer consents list|revoke`: what a customer allowed
// which app on the consent page, and taking it back (the consent page shows again).
func customerConsentsCmd(conn *adminConn, institution *string) *cobra.Command {
	group := &cobra.Command{Use: "consents", Short: "List or revoke what a customer allowed apps on the consent page"}
	list := &cobra.Command{
		Use:   "list --institution ID CUSTOMER_ID",
		Short: "List a customer's consents",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			items, err := c.ListConsents(cmd.Context(), *institution, args[0])
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(items))
			for _, it := range items {
				rows = append(rows, []string{it.ClientID, fmt.Sprint(it.Scope), cellTime(it.GrantedAt)})
			}
			return conn.PrintList(cmd.OutOrStdout(), items, []string{"CLIENT", "SCOPE", "GRANTED"}, rows)
		},
	}
	var client string
	revoke := &cobra.Command{
		Use:   "revoke --institution ID CUSTOMER_ID [--client CLIENT_ID]",
		Short: "Revoke a customer's consents (all, or one client's)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			n, err := c.RevokeConsents(cmd.Context(), *institution, args[0], client)
			if err != nil {
				return err
			}
			if conn.output == "json" {
				return writeJSONTo(cmd.OutOrStdout(), adminapi.ConsentsRevoked{Revoked: n})
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), "revoked "+strconv.Itoa(n)+" consent(s)")
			return err
		},
	}
	revoke.Flags().StringVar(&client, "client", "", "revoke only the consent to this client")
	group.AddCommand(list, revoke)
	return group
}

// institutionBrandingCmd is `jeton institution branding ID`: the sign-in pages' name,
// logo and accent colour.
func institutionBrandingCmd(conn *adminConn) *cobra.Command {
	var in adminapi.BrandingInput
	cmd := &cobra.Command{
		Use:   "branding ID [--display-name NAME] [--logo-url URL] [--accent-color #rrggbb]",
		Short: "Set how the institution's sign-in pages look",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			b, err := c.SetBranding(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return conn.PrintOne(cmd.OutOrStdout(), b, [][2]string{
				{"INSTITUTION", b.InstitutionID}, {"DISPLAY_NAME", b.DisplayName}, {"LOGO_URL", b.LogoURL}, {"ACCENT_COLOR", b.AccentColor},
			})
		},
	}
	cmd.Flags().StringVar(&in.DisplayName, "display-name", "", "name shown on the pages (default the institution's name)")
	cmd.Flags().StringVar(&in.LogoURL, "logo-url", "", "https URL of the logo")
	cmd.Flags().StringVar(&in.AccentColor, "accent-color", "", "accent colour, #rrggbb")
	return cmd
}

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton/adminapi"
)

// newHoursCmd is `jeton institution hours set|show|clear`: an institution's
// working-hours calendar (outside it, token requests get 503 with Retry-After).
func newHoursCmd(conn *adminConn) *cobra.Command {
	group := &cobra.Command{Use: "hours", Short: "Manage an institution's working-hours calendar (no calendar: always open)"}
	group.AddCommand(hoursSetCmd(conn), hoursShowCmd(conn), hoursClearCmd(conn))
	return group
}

func hoursSetCmd(conn *adminConn) *cobra.Command {
	var in adminapi.HoursInput
	cmd := &cobra.Command{
		Use:   `set INSTITUTION_ID --tz ZONE --window "Mon-Fri 07:00-19:00" [--window ...] [--closed 2026-12-25 ...]`,
		Short: "Set (replace) the calendar",
		Example: `  jeton institution hours set ID --tz Europe/London --window "Mon-Fri 07:00-19:00" --closed 2026-12-25
  jeton institution hours set ID --tz America/New_York --window "Mon-Fri 09:00-12:00" --window "Mon-Fri 13:00-17:00"
  jeton institution hours set ID --tz Asia/Tokyo --window "Sun-Thu 22:00-06:00"   # crosses midnight`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			v, err := c.SetHours(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return printHours(cmd, conn, v)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.TimeZone, "tz", "", "IANA time zone, e.g. Europe/London")
	f.StringArrayVar(&in.Windows, "window", nil, `opening window "DAYS HH:MM-HH:MM" (days Mon..Sun, ranges and commas; an end at or before the start crosses midnight), repeatable`)
	f.StringArrayVar(&in.Closed, "closed", nil, "closed date YYYY-MM-DD (the whole local day), repeatable")
	_ = cmd.MarkFlagRequired("tz")
	_ = cmd.MarkFlagRequired("window")
	return cmd
}

func hoursShowCmd(conn *adminConn) *cobra.Command {
	return &cobra.Command{
		Use:   "show INSTITUTION_ID",
		Short: "Show the calendar and its next opening",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			v, err := c.GetHours(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printHours(cmd, conn, v)
		},
	}
}

func hoursClearCmd(conn *adminConn) *cobra.Command {
	return &cobra.Command{
		Use:   "clear INSTITUTION_ID",
		Short: "Remove the calendar: the institution is always open",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			if err := c.ClearHours(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "institution %s: calendar cleared (always open)\n", args[0])
			return nil
		},
	}
}

func printHours(cmd *cobra.Command, conn *adminConn, v adminapi.HoursView) error {
	windows := make([]string, len(v.Windows))
	for i, w := range v.Windows {
		windows[i] = w.String()
	}
	closed := make([]string, len(v.Closed))
	for i, d := range v.Closed {
		closed[i] = d.String()
	}
	next := "never (within a year)"
	switch {
	case v.OpenNow:
		next = "open now"
	case v.NextOpening != nil:
		next = v.NextOpening.Format(time.RFC3339) + " (" + v.NextOpening.UTC().Format(time.RFC3339) + ")"
	}
	return conn.PrintOne(cmd.OutOrStdout(), v, [][2]string{
		{"institution_id", v.InstitutionID}, {"time_zone", v.TimeZone},
		{"windows", strings.Join(windows, ", ")}, {"closed", strings.Join(closed, ", ")},
		{"next_opening", next}, {"updated_at", cellTime(v.UpdatedAt)},
	})
}

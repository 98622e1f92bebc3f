package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// newAuditCmd is `jeton audit list`: the audit log, through the admin API's cursor
// pages, so a range of any size comes out whole (docs/operations.md, "Audit").
func newAuditCmd() *cobra.Command {
	group := &cobra.Command{Use: "audit", Short: "Read the audit log (admin changes and aggregated security events)"}
	conn := addAdminFlags(group)
	var q adminapi.AuditQuery
	var since, until string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first: every one in range (or the newest --limit)",
		Example: `  jeton audit list --since 1h
  jeton audit list --since 2026-03-01T00:00:00Z --until 2026-04-01T00:00:00Z --institution INST -o json
  jeton audit list --client CLIENT_ID --action client.update --limit 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			var err error
			if q.Since, err = parseWhen("since", since, now); err != nil {
				return err
			}
			if q.Until, err = parseWhen("until", until, now); err != nil {
				return err
			}
			if limit < 0 {
				return fmt.Errorf("--limit %d: want 0 (everything) or more", limit)
			}
			c, err := conn.Client()
			if err != nil {
				return err
			}
			out := newAuditPrinter(cmd.OutOrStdout(), conn.JSON())
			if err := c.WalkAudit(cmd.Context(), q, limit, out.page); err != nil {
				return err
			}
			return out.end()
		},
	}
	f := list.Flags()
	f.StringVar(&since, "since", "", "only events at or after this: a duration back from now (1h, 30m) or an RFC 3339 time")
	f.StringVar(&until, "until", "", "only events before this: a duration back from now or an RFC 3339 time")
	f.StringVar(&q.Action, "action", "", "only this action (e.g. client.update, ratelimit.tripped)")
	f.StringVar(&q.Actor, "actor", "", "only this actor (admin, jeton, a client id, institution-key:<id>)")
	f.StringVar(&q.ClientID, "client", "", "only events about this client (their subject, or details client_id)")
	f.StringVar(&q.InstitutionID, "institution", "", "only this institution's events")
	f.IntVar(&limit, "limit", 0, "at most this many events, the newest (0: every event in range)")
	group.AddCommand(list)
	return group
}

// parseWhen reads --since/--until: a duration back from now, or an RFC 3339 time.
func parseWhen(flag, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q: want a positive duration back from now (1h, 90m) or an RFC 3339 time (2026-03-01T00:00:00Z)", flag, v)
}

// auditPrinter writes the pages of a walk as they come, so a long range needs no
// more memory than a page: one JSON array, or a table (aligned page by page).
type auditPrinter struct {
	w     io.Writer
	json  bool
	count int
}

func newAuditPrinter(w io.Writer, asJSON bool) *auditPrinter {
	return &auditPrinter{w: w, json: asJSON}
}

func (p *auditPrinter) page(evs []jeton.AuditEvent) error {
	if p.json {
		return p.jsonPage(evs)
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	if p.count == 0 {
		fmt.Fprintln(tw, "AT\tACTION\tACTOR\tINSTITUTION\tSUBJECT\tDETAILS")
	}
	for _, e := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.RFC3339), e.Action, e.Actor,
			cell(e.InstitutionID), cell(e.Subject), detailsCell(e.Details))
	}
	p.count += len(evs)
	return tw.Flush()
}

func (p *auditPrinter) jsonPage(evs []jeton.AuditEvent) error {
	for _, e := range evs {
		b, err := json.MarshalIndent(e, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n  "
		if p.count == 0 {
			sep = "[\n  "
		}
		if _, err := fmt.Fprintf(p.w, "%s%s", sep, b); err != nil {
			return err
		}
		p.count++
	}
	return nil
}

// end closes the JSON array ([] when nothing matched).
func (p *auditPrinter) end() error {
	if !p.json {
		return nil
	}
	if p.count == 0 {
		_, err := fmt.Fprintln(p.w, "[]")
		return err
	}
	_, err := fmt.Fprintln(p.w, "\n]")
	return err
}

func cell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// detailsCell shows details as key=value pairs in key order.
func detailsCell(d map[string]string) string {
	if len(d) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(d))
	for _, k := range slices.Sorted(maps.Keys(d)) {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, " ")
}

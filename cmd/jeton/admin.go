package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton/adminapi"
	"github.com/jeton/jeton/module"
)

// Environment variables the admin commands read when no flag is given.
const (
	envAdminURL   = "JETON_ADMIN_URL"
	envAdminToken = "JETON_ADMIN_TOKEN"
)

// adminCommands returns the commands that talk to a running server's admin API
// (institution, client, customer, key, ratelimit, audit).
func adminCommands() []*cobra.Command {
	return []*cobra.Command{newInstitutionCmd(), newClientCmd(), newCustomerCmd(), newKeyCmd(), newRateLimitCmd(), newAuditCmd()}
}

// adminConn holds the connection and output flags every admin command shares.
type adminConn struct {
	server  string
	token   string
	dataDir string
	output  string
}

// addAdminFlags registers the shared flags as persistent flags of a command group, so
// they work on every subcommand, and returns where they land.
func addAdminFlags(group *cobra.Command) *adminConn {
	c := &adminConn{}
	f := group.PersistentFlags()
	f.StringVar(&c.server, "server", "", "admin API base URL (env "+envAdminURL+"; default: <data-dir>/"+adminURLFile+")")
	f.StringVar(&c.token, "token", "", "admin API bearer token (env "+envAdminToken+"; default: <data-dir>/"+adminTokenFile+")")
	f.StringVar(&c.dataDir, "data-dir", defaultDataDir, "data directory of a local jeton serve, read when --server or --token is not given")
	f.StringVarP(&c.output, "output", "o", "table", "output format: table or json")
	return c
}

// resolve picks the server URL and token, each on its own: a flag beats the
// environment, which beats the files `jeton serve` writes into the data dir.
func (c *adminConn) resolve(getenv func(string) string) (server, token string, err error) {
	server, err = pick(c.server, getenv(envAdminURL), filepath.Join(c.dataDir, adminURLFile), "--server", envAdminURL)
	if err != nil {
		return "", "", err
	}
	token, err = pick(c.token, getenv(envAdminToken), filepath.Join(c.dataDir, adminTokenFile), "--token", envAdminToken)
	if err != nil {
		return "", "", err
	}
	if !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://") {
		return "", "", fmt.Errorf("admin server %q: want an http:// or https:// URL", server)
	}
	return server, token, nil
}

func pick(flagVal, envVal, path, flagName, envName string) (string, error) {
	if v := strings.TrimSpace(flagVal); v != "" {
		return v, nil
	}
	if v := strings.TrimSpace(envVal); v != "" {
		return v, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s not given: pass %s, set %s, or point --data-dir at a running `jeton serve` (no %s)", flagName[2:], flagName, envName, path)
	}
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// Client builds the admin API client, checking the output format first so that a typo
// in -o fails before anything is changed on the server.
func (c *adminConn) Client() (*adminapi.Client, error) {
	if c.output != "table" && c.output != "json" {
		return nil, fmt.Errorf("--output %q: want table or json", c.output)
	}
	server, token, err := c.resolve(os.Getenv)
	if err != nil {
		return nil, err
	}
	return adminapi.NewClient(server, token, adminHTTPClient), nil
}

// adminHTTPClient bounds every admin call, so a hung server does not hang scripts.
var adminHTTPClient = &http.Client{Timeout: 60 * time.Second}

// PrintOne prints a single object: JSON as one object, or a two-column table.
func (c *adminConn) PrintOne(w io.Writer, v any, rows [][2]string) error {
	if c.output == "json" {
		return writeJSONTo(w, v)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

// PrintList prints a list: a JSON array, or a table with a header row.
func (c *adminConn) PrintList(w io.Writer, v any, header []string, rows [][]string) error {
	if c.output == "json" {
		return writeJSONTo(w, v)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// JSON reports whether --output json was asked for.
func (c *adminConn) JSON() bool { return c.output == "json" }

// addModuleCommands adds the vendor modules' commands of group to cmd (module.CLI is
// the group's connection).
func addModuleCommands(cmd *cobra.Command, group string, conn module.CLI) {
	for _, m := range vendorModules() {
		cmd.AddCommand(m.Commands(group, conn)...)
	}
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// cellTime formats a timestamp for tables; "-" for the zero time.
var cellTime = module.CellTime

// cellList joins a list for a table cell; "-" when empty.
func cellList(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, " ")
}

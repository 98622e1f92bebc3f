package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// newHealthcheckCmd is `jeton healthcheck`: GET /readyz of a running server, exit 0 on
// 200 and 1 otherwise. The container image has no shell and no curl, so its
// HEALTHCHECK runs the binary itself (Dockerfile, cmd/jeton-image).
func newHealthcheckCmd() *cobra.Command {
	var o healthcheckOptions
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the server on --addr (or JETON_ADDR) answers /readyz with 200",
		Args:  cobra.NoArgs,
		RunE:  o.run,
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "the server's public listener, as given to serve (env JETON_ADDR); 0.0.0.0 and [::] are asked on loopback")
	f.StringVar(&o.url, "url", "", "the full URL to GET instead (e.g. https://127.0.0.1:8443/readyz)")
	f.DurationVar(&o.timeout, "timeout", 3*time.Second, "give up after this long")
	f.BoolVar(&o.insecure, "insecure-skip-verify", false, "for an https --url on loopback: do not verify the server certificate (it names the public host, not 127.0.0.1)")
	return cmd
}

type healthcheckOptions struct {
	addr, url string
	timeout   time.Duration
	insecure  bool
}

func (o *healthcheckOptions) run(cmd *cobra.Command, _ []string) error {
	if v, ok := os.LookupEnv(envName("addr")); ok && !cmd.Flags().Changed("addr") {
		o.addr = v
	}
	url := o.url
	if url == "" {
		u, err := readyURL(o.addr)
		if err != nil {
			return err
		}
		url = u
	}
	return healthcheck(cmd.Context(), cmd.OutOrStdout(), url, o.timeout, o.insecure)
}

// readyURL is http://<addr>/readyz, with an unspecified host (":8080", "0.0.0.0:8080",
// "[::]:8080") asked on the loopback address of its family.
func readyURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", addr, err)
	}
	switch ip := net.ParseIP(host); {
	case host == "" || (ip != nil && ip.Equal(net.IPv4zero)):
		host = "127.0.0.1"
	case ip != nil && ip.Equal(net.IPv6unspecified):
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}

func healthcheck(ctx context.Context, out io.Writer, url string, timeout time.Duration, insecure bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // loopback probe, opt-in
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(out, "%s: %s\n", url, strings.TrimSpace(string(body)))
	return nil
}

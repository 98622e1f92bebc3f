package main

import (
	"strings"
	"testing"
)

// TestCLIFAPI2Profile: `client create|update --profile fapi2` and `institution
// create|update --default-profile fapi2` (docs/fapi2.md), with the admin API's
// refusals shown to the operator: a secret method for a FAPI 2.0 client, and a switch
// of the default to fapi2 over a client that would break it.
func TestCLIFAPI2Profile(t *testing.T) {
	_, url := adminServerStore(t)
	conn := []string{"--server", url, "--token", "cli-token", "--data-dir", t.TempDir(), "-o", "json"}
	run := func(args ...string) (map[string]any, error) {
		t.Helper()
		out, _, err := runCLI(t, "", append(args, conn...)...)
		if err != nil {
			return nil, err
		}
		return decodeOne(t, out), nil
	}
	inst, err := run("institution", "create", "--name", "Bank", "--default-profile", "fapi2")
	if err != nil || inst["default_profile"] != "fapi2" {
		t.Fatalf("institution create --default-profile: %v %v", inst, err)
	}
	id := inst["id"].(string)
	if _, err := run("client", "create", "--institution", id, "--name", "Secret"); err == nil || !strings.Contains(err.Error(), "FAPI 2.0") {
		t.Fatalf("a secret client under the fapi2 default: %v", err)
	}
	inst, err = run("institution", "update", id, "--default-profile", "")
	if err != nil || inst["default_profile"] != nil || inst["name"] != "Bank" {
		t.Fatalf("institution update --default-profile \"\": %v %v", inst, err)
	}
	c, err := run("client", "create", "--institution", id, "--name", "Secret")
	if err != nil || c["effective_profile"] != "" {
		t.Fatalf("a secret client without the default: %v %v", c, err)
	}
	if _, err := run("client", "update", c["client_id"].(string), "--profile", "fapi2"); err == nil || !strings.Contains(err.Error(), "FAPI 2.0") {
		t.Fatalf("client update --profile fapi2 of a secret client: %v", err)
	}
	// The secret client follows the default: switching it to fapi2 is refused, and the
	// operator is told which client breaks which rule.
	_, err = run("institution", "update", id, "--default-profile", "fapi2")
	if err == nil || !strings.Contains(err.Error(), "default_profile: FAPI 2.0: 1 of the institution's clients") ||
		!strings.Contains(err.Error(), c["client_id"].(string)+" (auth_method: client authentication must be private_key_jwt") ||
		!strings.Contains(err.Error(), "HTTP 409") {
		t.Fatalf("institution update --default-profile fapi2 over a secret client: %v", err)
	}
	if got, err := run("institution", "show", id); err != nil || got["default_profile"] != nil {
		t.Fatalf("the institution after the refusal: %v %v", got, err)
	}
	if _, err := run("client", "create", "--institution", id, "--name", "x", "--profile", "fapi9"); err == nil {
		t.Fatal("--profile fapi9 accepted")
	}
}

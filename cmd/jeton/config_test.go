package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func parseServe(t *testing.T, file string, args ...string) (serveConfig, error) {
	t.Helper()
	var cfg serveConfig
	var configPath string
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	bindServeFlags(fs, &cfg, &configPath)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if file != "" {
		configPath = filepath.Join(t.TempDir(), "jeton.yaml")
		if err := os.WriteFile(configPath, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, applySettings(fs, configPath)
}

func TestSettingsPrecedence(t *testing.T) {
	file := "addr: 127.0.0.1:7000\nadmin-addr: 127.0.0.1:7001\nlog-format: json\naudience: [https://a.example, https://b.example]\nkey-publish-delay: 2m\n"
	t.Setenv("JETON_ADMIN_ADDR", "127.0.0.1:9001")
	t.Setenv("JETON_LOG_FORMAT", "text")
	cfg, err := parseServe(t, file, "--log-format", "json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7000" {
		t.Errorf("file value: addr = %s", cfg.Addr)
	}
	if cfg.AdminAddr != "127.0.0.1:9001" {
		t.Errorf("env beats file: admin-addr = %s", cfg.AdminAddr)
	}
	if cfg.LogFormat != "json" {
		t.Errorf("flag beats env: log-format = %s", cfg.LogFormat)
	}
	if strings.Join(cfg.Audience, " ") != "https://a.example https://b.example" || cfg.PublishDelay != 2*time.Minute {
		t.Errorf("lists and durations from the file: %v %v", cfg.Audience, cfg.PublishDelay)
	}
	if cfg.DataDir != defaultDataDir {
		t.Errorf("default kept: data-dir = %s", cfg.DataDir)
	}
}

func TestSettingsRefuseMistakes(t *testing.T) {
	tests := []struct {
		name, file, env, envVal, want string
	}{
		{"unknown file key", "adress: 1.2.3.4:80\n", "", "", `unknown setting "adress"`},
		{"bad duration in file", "key-publish-delay: soon\n", "", "", "key-publish-delay"},
		{"bad duration in env", "", "JETON_MAX_TOKEN_TTL", "forever", "JETON_MAX_TOKEN_TTL"},
		{"not YAML", "addr: [\n", "", "", "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv(tt.env, tt.envVal)
			}
			_, err := parseServe(t, tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

func TestServeHelpListsEverySetting(t *testing.T) {
	cmd := newServeCmd()
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && !strings.Contains(out.String(), "--"+f.Name) {
			t.Errorf("serve --help does not mention --%s", f.Name)
		}
		if f.Name != "help" && f.Name != "config" && !strings.Contains(out.String(), envName(f.Name)) {
			t.Errorf("serve --help does not name %s", envName(f.Name))
		}
	})
}

package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// envName is the environment variable for a flag: --admin-addr → JETON_ADMIN_ADDR.
func envName(flag string) string {
	return "JETON_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applySettings fills every flag the command line did not set, first from its
// JETON_* environment variable, then from the YAML config file (keys are flag names).
// Precedence: flags > environment > file > defaults. Unknown file keys are errors, so
// a typo in a config file can't silently leave a default in force.
func applySettings(fs *pflag.FlagSet, configPath string) error {
	file, err := readConfigFile(configPath)
	if err != nil {
		return err
	}
	for key := range file {
		if f := fs.Lookup(key); f == nil || key == "config" {
			return fmt.Errorf("config %s: unknown setting %q", configPath, key)
		}
	}
	var setErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "config" || setErr != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if err := f.Value.Set(v); err != nil {
				setErr = fmt.Errorf("%s: %w", envName(f.Name), err)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if err := f.Value.Set(yamlValue(v)); err != nil {
				setErr = fmt.Errorf("config %s: %s: %w", configPath, f.Name, err)
			}
		}
	})
	return setErr
}

func readConfigFile(path string) (map[string]any, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return m, nil
}

// yamlValue renders a YAML scalar or list the way the flag parses it (lists as
// comma-separated values for slice flags).
func yamlValue(v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// settingsHelp lists the environment variable of every flag, for `serve --help`.
func settingsHelp(fs *pflag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" && f.Name != "help" {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Every flag can also be set by its environment variable or by its name in the --config YAML file\n(flags > environment > file > defaults):\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  --%-22s %s\n", n, envName(n))
	}
	b.WriteString("  (the key-encryption key itself may be given as JETON_KEK, base64 of 32 bytes, and previous\n")
	b.WriteString("  ones, accepted for reading during a KEK rotation, as JETON_PREVIOUS_KEK, comma-separated)\n")
	return b.String()
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// applyConfig fills every flag the user did not set on the command line,
// first from CFLOW_<FLAG> (dashes become underscores), then from the config
// file (--config or CFLOW_CONFIG), so precedence is flag > env > file > default.
func applyConfig(cmd *cobra.Command) error {
	file := map[string]any{}
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		path = os.Getenv("CFLOW_CONFIG")
	}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return usageErr("config: %v", err)
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
			err = json.Unmarshal(raw, &file)
		} else {
			err = yaml.Unmarshal(raw, &file)
		}
		if err != nil {
			return usageErr("config %s: %v", path, err)
		}
	}
	var firstErr error
	known := map[string]bool{}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		known[f.Name] = true
		if f.Changed || firstErr != nil {
			return
		}
		env := "CFLOW_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := setFlag(f, v); err != nil {
				firstErr = usageErr("%s: %v", env, err)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if err := setFlag(f, fileValue(v)); err != nil {
				firstErr = usageErr("config %s: %s: %v", path, f.Name, err)
			}
		}
	})
	if firstErr != nil {
		return firstErr
	}
	for k := range file {
		if !known[k] {
			return usageErr("config %s: unknown key %q", path, k)
		}
	}
	return nil
}

func setFlag(f *pflag.Flag, v string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(strings.Split(v, ","))
	}
	return f.Value.Set(v)
}

func fileValue(v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	return &cobra.Command{Use: "serve", RunE: func(*cobra.Command, []string) error { return errors.New("not yet") }}
}

func newMigrateCmd() *cobra.Command {
	return &cobra.Command{Use: "migrate", RunE: func(*cobra.Command, []string) error { return errors.New("not yet") }}
}

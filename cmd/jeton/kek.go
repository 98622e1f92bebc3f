package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/keys"
)

// newKEKCmd is `jeton kek`: the key-encryption key's rotation (docs/operations.md,
// "Rotating the KEK"). status and rotate work on the database directly, like `jeton
// janitor`, beside running servers.
func newKEKCmd() *cobra.Command {
	group := &cobra.Command{Use: "kek", Short: "Rotate the key-encryption key that seals signing keys and client secrets"}
	group.AddCommand(newKEKGenerateCmd(), newKEKStatusCmd(), newKEKRotateCmd())
	return group
}

func newKEKGenerateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "generate FILE",
		Short: "Write a new random key-encryption key to FILE (mode 0600; never overwrites) and print its id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kek, err := keys.GenerateKEKFile(args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote a new key-encryption key to %s; its id is %s\n", args[0], keys.KEKID(kek))
			return err
		},
	}
}

// kekFlags are the settings status and rotate share: the database and the keyring.
type kekFlags struct {
	configPath, dataDir, database, kekFile string
	previousFiles                          []string
	kek                                    []byte // the current KEK, once open has read it
}

func (f *kekFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.configPath, "config", os.Getenv("JETON_CONFIG"), "YAML config file [JETON_CONFIG]")
	fs.StringVar(&f.dataDir, "data-dir", defaultDataDir, "data directory (SQLite default location, default KEK file)")
	fs.StringVar(&f.database, "database", "", "database: empty for SQLite in the data dir, a file path, or postgres://...")
	fs.StringVar(&f.kekFile, "kek-file", "", "the current key-encryption key's file, which must exist (default <data-dir>/kek); JETON_KEK overrides it")
	fs.StringSliceVar(&f.previousFiles, "previous-kek-file", nil, "previous key-encryption key files, comma-separated (also JETON_PREVIOUS_KEK, base64 keys)")
}

// open applies the settings and opens the store and the keyring. Unlike serve it never
// creates a KEK file: a fresh KEK would seal everything under a key no replica has.
func (f *kekFlags) open(cmd *cobra.Command) (jeton.Store, *keys.Keyring, error) {
	if err := applySettings(cmd.Flags(), f.configPath); err != nil {
		return nil, nil, err
	}
	kekFile := f.kekFile
	if kekFile == "" {
		kekFile = filepath.Join(f.dataDir, "kek")
	}
	kek, err := keys.ReadKEK(kekFile, os.Getenv("JETON_KEK"))
	if err != nil {
		return nil, nil, err
	}
	previous, err := keys.LoadPreviousKEKs(f.previousFiles, os.Getenv("JETON_PREVIOUS_KEK"))
	if err != nil {
		return nil, nil, err
	}
	ring, err := keys.NewKeyring(kek, previous...)
	if err != nil {
		return nil, nil, err
	}
	f.kek = kek
	ctx := cmd.Context()
	store, kind, err := openStore(ctx, f.dataDir, f.database)
	if err != nil {
		return nil, nil, err
	}
	if err := requireMigrated(ctx, store, kind, ""); err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, ring, nil
}

func newKEKStatusCmd() *cobra.Command {
	var f kekFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Count the sealed values (signing keys, client secrets) under each key-encryption key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, ring, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			st, err := keys.Status(cmd.Context(), store, ring)
			if err != nil {
				return err
			}
			hs, err := store.ListKEKHolders(cmd.Context(), time.Now().Add(-keys.HolderWindow))
			if err != nil {
				return err
			}
			if err := printSealedStatus(cmd.OutOrStdout(), st); err != nil {
				return err
			}
			return printHolders(cmd.OutOrStdout(), hs, time.Now())
		},
	}
	f.bind(cmd)
	return cmd
}

func newKEKRotateCmd() *cobra.Command {
	var f kekFlags
	var force bool
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Re-seal every sealed value under the current key-encryption key (--kek-file/JETON_KEK), online",
		Long: "Re-seals, one row per statement, every signing key and client secret that is sealed under a\n" +
			"previous key-encryption key (--previous-kek-file/JETON_PREVIOUS_KEK) or in the format from before\n" +
			"KEK ids, under the current one. Servers keep serving throughout; every one of them must already\n" +
			"hold the current KEK (as its KEK or a previous one) before this runs: docs/operations.md,\n" +
			"\"Rotating the KEK\"; it refuses to start while a server that reported in the last two minutes\n" +
			"lacks it. A row another server changes meanwhile is never overwritten. Exits non-zero while any\n" +
			"value is left under another KEK.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, ring, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := checkHolders(cmd.Context(), cmd.OutOrStdout(), store, ring, force); err != nil {
				return err
			}
			return runReseal(cmd.Context(), cmd.OutOrStdout(), store, ring)
		},
	}
	f.bind(cmd)
	cmd.Flags().BoolVar(&force, "force", false, "re-seal even if a running server does not hold the current KEK (that server then fails to open what is re-sealed)")
	return cmd
}

// checkHolders refuses a rotation that a running server could not follow, and warns
// about servers that still seal new values under another KEK.
func checkHolders(ctx context.Context, w io.Writer, store jeton.KEKHolderStore, ring *keys.Keyring, force bool) error {
	now := time.Now()
	hs, err := keys.CheckHolders(ctx, store, ring, now)
	if errors.Is(err, keys.ErrHolderLacksKEK) && force {
		fmt.Fprintf(w, "warning (--force): %v\n", err)
	} else if err != nil {
		return fmt.Errorf("%w; restart it with this KEK as --kek-file or --previous-kek-file first, or pass --force", err)
	}
	for _, h := range hs {
		if len(h.KEKIDs) > 0 && h.KEKIDs[0] != ring.CurrentID() {
			fmt.Fprintf(w, "note: server %s seals new values under KEK %s: what it writes stays there until it is restarted with %s as its KEK and this command runs again\n",
				h.ID, h.KEKIDs[0], ring.CurrentID())
		}
	}
	return nil
}

// printHolders lists the servers that reported their KEKs recently.
func printHolders(w io.Writer, hs []jeton.KEKHolder, now time.Time) error {
	if len(hs) == 0 {
		_, err := fmt.Fprintf(w, "no server reported its KEKs in the last %v\n", keys.HolderWindow)
		return err
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tSEEN\tKEKS (current first)")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%s ago\t%s\n", h.ID, now.Sub(h.SeenAt).Truncate(time.Second), strings.Join(h.KEKIDs, ", "))
	}
	return tw.Flush()
}

func runReseal(ctx context.Context, w io.Writer, store jeton.Store, ring *keys.Keyring) error {
	fmt.Fprintf(w, "re-sealing under key-encryption key %s\n", ring.CurrentID())
	res, err := keys.Reseal(ctx, store, ring)
	total := 0
	for _, n := range res.Resealed {
		total += n
	}
	fmt.Fprintf(w, "re-sealed %d values (%d signing keys, %d client secrets, %d previous client secrets); passes: %d; changed by a server meanwhile and looked at again: %d\n",
		total, res.Resealed[jeton.SealedSigningKey], res.Resealed[jeton.SealedClientSecret],
		res.Resealed[jeton.SealedPreviousClientSecret], res.Passes, res.Raced)
	for _, f := range res.Failed {
		fmt.Fprintf(w, "cannot open %s\n", f)
	}
	if err != nil && !errors.Is(err, keys.ErrResealIncomplete) {
		return err
	}
	if perr := printSealedStatus(w, res.Status); perr != nil {
		return perr
	}
	return err
}

// printSealedStatus prints one line per KEK, then what is left to do.
func printSealedStatus(w io.Writer, st keys.SealedStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEK\tROLE\tSIGNING KEYS\tCLIENT SECRETS\tPREVIOUS SECRETS\tLEGACY FORMAT")
	current := ""
	for _, k := range st.KEKs {
		if k.Role == "current" {
			current = k.ID
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", k.ID, k.Role, k.ByKind[jeton.SealedSigningKey],
			k.ByKind[jeton.SealedClientSecret], k.ByKind[jeton.SealedPreviousClientSecret], k.Legacy)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, u := range st.Unreadable {
		fmt.Fprintf(w, "unreadable: %s (legacy format, under none of the configured KEKs)\n", u)
	}
	unknown := len(st.Unreadable)
	for _, k := range st.KEKs {
		if k.Role == "unknown" {
			unknown += k.Total()
		}
	}
	var err error
	switch n := st.Pending(); {
	case unknown > 0:
		_, err = fmt.Fprintf(w, "%d values are under key-encryption keys not given here: give each as --kek-file or --previous-kek-file (or JETON_PREVIOUS_KEK)\n", unknown)
	case n > 0:
		_, err = fmt.Fprintf(w, "%d values are not yet sealed under the current KEK %s: run `jeton kek rotate`\n", n, current)
	default:
		_, err = fmt.Fprintf(w, "every sealed value is under the current KEK %s: previous KEKs are no longer needed\n", current)
	}
	return err
}

package cardcoremod

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/jeton/jeton/dialect/cardcore"
	"github.com/jeton/jeton/module"
)

// Commands are `jeton assertion sign` and `jeton institution key`.
func (*Module) Commands(group string, cli module.CLI) []*cobra.Command {
	switch group {
	case "":
		return []*cobra.Command{assertionCmd()}
	case "institution":
		return []*cobra.Command{institutionKeyCmd(cli)}
	}
	return nil
}

// institutionKeyCmd is `jeton institution key`: institution-scoped admin keys, which
// manage only that institution's CardCore applications (docs/dialects/cardcore.md).
func institutionKeyCmd(conn module.CLI) *cobra.Command {
	group := &cobra.Command{Use: "key", Short: "Manage an institution's scoped admin keys (CardCore application management)"}
	create := &cobra.Command{
		Use:   "create INSTITUTION_ID",
		Short: "Create an institution-scoped admin key; the key is shown only this once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			k, err := CreateInstitutionKey(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return conn.PrintOne(cmd.OutOrStdout(), k, [][2]string{
				{"id", k.ID}, {"institution_id", k.InstitutionID}, {"user_id", k.UserID},
				{"created_at", module.CellTime(k.CreatedAt)}, {"key", k.Key},
			})
		},
	}
	list := &cobra.Command{
		Use:   "list INSTITUTION_ID",
		Short: "List an institution's admin keys (never the keys themselves)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			items, err := ListInstitutionKeys(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(items))
			for _, k := range items {
				rows = append(rows, []string{k.ID, k.UserID, module.CellTime(k.CreatedAt), module.CellTime(k.RevokedAt)})
			}
			return conn.PrintList(cmd.OutOrStdout(), items, []string{"ID", "USER", "CREATED", "REVOKED"}, rows)
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke INSTITUTION_ID KEY_ID",
		Short: "Revoke an institution's admin key at once",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			if err := RevokeInstitutionKey(cmd.Context(), c, args[0], args[1]); err != nil {
				return err
			}
			cmd.Printf("revoked key %s\n", args[1])
			return nil
		},
	}
	group.AddCommand(create, list, revoke)
	return group
}

// assertionCmd is `jeton assertion sign`: it prints a ready client assertion (RFC
// 7523 §2.2) signed the way CardCore's guide describes, so that integrators need not
// paste a private key into a web tool.
func assertionCmd() *cobra.Command {
	group := &cobra.Command{Use: "assertion", Short: "Client assertions (RFC 7523)"}
	var keyFile, clientID, aud, iss string
	var ttl time.Duration
	sign := &cobra.Command{
		Use:   "sign --key key.pem --client-id ID --aud URL [--iss URL]",
		Short: "Print a signed client assertion (RS256 for an RSA key, ES256 for an EC P-256 key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := readPrivateKey(keyFile)
			if err != nil {
				return err
			}
			s, err := cardcore.SignAssertion(key, clientID, iss, aud, time.Now(), ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), s)
			return nil
		},
	}
	f := sign.Flags()
	f.StringVar(&keyFile, "key", "", "PEM private key file (PKCS #8, PKCS #1 RSA or SEC 1 EC)")
	f.StringVar(&clientID, "client-id", "", "the application's client ID (sub)")
	f.StringVar(&aud, "aud", "", "the audience: the token endpoint URL or the configured environment URL")
	f.StringVar(&iss, "iss", "", "the issuer: the application's registered website URL (default the client ID)")
	f.DurationVar(&ttl, "ttl", 5*time.Minute, "assertion lifetime (exp - iat)")
	for _, name := range []string{"key", "client-id", "aud"} {
		_ = sign.MarkFlagRequired(name)
	}
	group.AddCommand(sign)
	return group
}

// readPrivateKey reads one PEM private key: what `openssl genrsa` and `openssl
// ecparam -genkey` write, in either the old or the PKCS #8 form.
func readPrivateKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var block *pem.Block
	for rest := b; ; {
		if block, rest = pem.Decode(rest); block == nil || block.Type != "EC PARAMETERS" {
			break
		}
	}
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM private key found", path)
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: PEM block %q is not a private key", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, errors.New(path + ": unsupported private key type")
	}
	return signer, nil
}

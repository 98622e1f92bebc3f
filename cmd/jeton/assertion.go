package main

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
)

// newAssertionCmd is `jeton assertion sign`: it prints a ready client assertion (RFC
// 7523 §2.2) signed the way CardCore's guide describes, so that integrators need not
// paste a private key into a web tool.
func newAssertionCmd() *cobra.Command {
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

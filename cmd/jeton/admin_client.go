package main

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jeton/jeton"
	"github.com/jeton/jeton/adminapi"
)

// clientFlags are the registration settings shared by `client create` and
// `client update`. List flags repeat; --scope, --default-scope and --grant also split
// on spaces, so --scope "a b" works as the space-separated scope strings of RFC 6749.
type clientFlags struct {
	name, authMethod, tokenFormat, signingAlg   string
	jwksURI, refreshRotation                    string
	grants, scopes, defaultScopes, redirectURIs []string
	publicKeyFiles, publicKeys, jwksFiles       []string
	actFor, addInstitutions, removeInstitutions []string
	detailTypes                                 []string
	profile                                     string
	accessTTL, refreshTTL                       time.Duration
	maxActiveTokens                             int
	public, firstParty, requirePAR              bool
	requireSignedObject                         bool
	sender                                      jeton.SenderConstraints
}

func (cf *clientFlags) register(f *pflag.FlagSet) {
	f.StringVar(&cf.name, "name", "", "display name")
	f.StringVar(&cf.authMethod, "auth-method", "", "client_secret_basic (default), client_secret_post, client_secret_jwt, private_key_jwt, tls_client_auth, self_signed_tls_client_auth (the certificate given with --public-key) or none")
	f.StringArrayVar(&cf.grants, "grant", nil, "grant type, repeatable or comma-separated: client_credentials (default), password, authorization_code, refresh_token")
	f.StringArrayVar(&cf.scopes, "scope", nil, "allowed scope, repeatable")
	f.StringArrayVar(&cf.defaultScopes, "default-scope", nil, "scope granted when a request names none, repeatable")
	f.StringArrayVar(&cf.redirectURIs, "redirect-uri", nil, "redirect URI, repeatable")
	f.StringVar(&cf.tokenFormat, "token-format", "", "access-token format: jwt (default) or opaque")
	f.DurationVar(&cf.accessTTL, "access-ttl", 0, "access-token lifetime, 1m..24h (default 1h)")
	f.DurationVar(&cf.refreshTTL, "refresh-ttl", 0, "refresh-token lifetime, 1m..8760h (default 720h)")
	f.StringVar(&cf.signingAlg, "signing-alg", "", "access-token signing algorithm: ES256 (default), RS256, PS256 or EdDSA")
	f.StringArrayVar(&cf.publicKeys, "public-key", nil, "PEM public key or PEM certificate file for private_key_jwt or self_signed_tls_client_auth, repeatable")
	f.StringArrayVar(&cf.jwksFiles, "jwks", nil, "JWK Set file (JSON) for private_key_jwt, repeatable")
	f.StringVar(&cf.jwksURI, "jwks-uri", "", "https URL of the client's JWK Set for private_key_jwt (instead of keys)")
	f.StringArrayVar(&cf.publicKeyFiles, "public-key-file", nil, "public key for private_key_jwt (PEM public key, PEM certificate or JWK Set), repeatable")
	f.StringVar(&cf.refreshRotation, "refresh-rotation", "", "rotate refresh tokens on every use: on (default) or off")
	f.StringArrayVar(&cf.actFor, "act-for", nil, "another institution id the client may act for, repeatable")
	f.IntVar(&cf.maxActiveTokens, "max-active-tokens", 0, "most unexpired, unrevoked access tokens the client may hold at once (0: no cap)")
	f.BoolVar(&cf.public, "public", false, "a public client (auth method none): authorization_code with PKCE, no secret")
	f.BoolVar(&cf.firstParty, "first-party", false, "the institution's own app: the consent page is skipped")
	f.BoolVar(&cf.requirePAR, "require-par", false, "authorization requests must be pushed first (RFC 9126)")
	f.BoolVar(&cf.requirePAR, "require-pushed-authorization-requests", false, "the same as --require-par, under the RFC 9126 §6 metadata name")
	f.BoolVar(&cf.requireSignedObject, "require-signed-request-object", false, "authorization requests must be a signed request object (RFC 9101 §10.5)")
	f.StringVar(&cf.profile, "profile", "", `security profile: fapi2 (FAPI 2.0 Security Profile, docs/fapi2.md) or "" for the institution's default`)
	f.StringArrayVar(&cf.detailTypes, "authorization-details-types", nil, "RFC 9396 authorization_details type the client may request, repeatable or comma-separated (e.g. payment_initiation)")
	f.BoolVar(&cf.sender.DPoPBoundAccessTokens, "dpop-bound-access-tokens", false, "refuse token requests without a DPoP proof (RFC 9449 §5.2)")
	f.StringVar(&cf.sender.TLSClientAuthSubjectDN, "tls-client-auth-subject-dn", "", "tls_client_auth: the certificate's subject DN, RFC 4514 (\"CN=app,O=Fintech Ltd,C=GB\")")
	f.StringVar(&cf.sender.TLSClientAuthSANDNS, "tls-client-auth-san-dns", "", "tls_client_auth: a dNSName SAN of the certificate (instead of the subject DN)")
	f.BoolVar(&cf.sender.TLSClientCertificateBoundAccessTokens, "tls-client-certificate-bound-access-tokens", false, "bind the client's access tokens to the TLS client certificate it presents (RFC 8705 §3)")
}

// method resolves --public against --auth-method.
func (cf *clientFlags) method() (string, error) {
	if !cf.public {
		return cf.authMethod, nil
	}
	if cf.authMethod != "" && cf.authMethod != string(jeton.AuthNone) {
		return "", fmt.Errorf("--public means --auth-method none, not %s", cf.authMethod)
	}
	return string(jeton.AuthNone), nil
}

// splitGrants splits every value on whitespace and commas (grant types contain
// neither), so --grant password,refresh_token works.
func splitGrants(vals []string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
	}
	return out
}

// splitWords splits every value on whitespace and drops empty words.
func splitWords(vals []string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// wholeSeconds converts a flag duration to the API's integer seconds.
func wholeSeconds(flag string, d time.Duration) (*int64, error) {
	if d%time.Second != 0 {
		return nil, fmt.Errorf("--%s %v: must be a whole number of seconds", flag, d)
	}
	s := int64(d / time.Second)
	return &s, nil
}

func (cf *clientFlags) input(f *pflag.FlagSet, institution string) (adminapi.ClientInput, error) {
	method, err := cf.method()
	if err != nil {
		return adminapi.ClientInput{}, err
	}
	in := adminapi.ClientInput{
		InstitutionID: institution, Name: cf.name, AuthMethod: jeton.AuthMethod(method),
		FirstParty: cf.firstParty, RequirePAR: cf.requirePAR,
		RequireSignedRequestObject: cf.requireSignedObject, AuthorizationDetailsTypes: splitGrants(cf.detailTypes),
		Grants: splitGrants(cf.grants), Scopes: splitWords(cf.scopes), DefaultScopes: splitWords(cf.defaultScopes),
		RedirectURIs: cf.redirectURIs, TokenFormat: jeton.TokenFormat(cf.tokenFormat), SigningAlg: cf.signingAlg,
		Institutions: cf.actFor, JWKSURI: cf.jwksURI, RefreshRotation: cf.refreshRotation,
		MaxActiveTokens: cf.maxActiveTokens, SenderConstraints: cf.sender, Profile: cf.profile,
	}
	if f.Changed("access-ttl") {
		if in.AccessTokenTTL, err = wholeSeconds("access-ttl", cf.accessTTL); err != nil {
			return in, err
		}
	}
	if f.Changed("refresh-ttl") {
		if in.RefreshTokenTTL, err = wholeSeconds("refresh-ttl", cf.refreshTTL); err != nil {
			return in, err
		}
	}
	in.PublicKeys, err = cf.keys()
	return in, err
}

// keys reads every key file given with --public-key, --jwks and --public-key-file.
func (cf *clientFlags) keys() ([]jeton.ClientKey, error) {
	var all []jeton.ClientKey
	for _, group := range []struct {
		paths []string
		want  func(jeton.KeyFormat) bool
		what  string
	}{
		{cf.publicKeys, func(f jeton.KeyFormat) bool { return f != jeton.KeyJWKS }, "--public-key wants a PEM public key or certificate"},
		{cf.jwksFiles, func(f jeton.KeyFormat) bool { return f == jeton.KeyJWKS }, "--jwks wants a JWK Set (JSON)"},
		{cf.publicKeyFiles, func(jeton.KeyFormat) bool { return true }, ""},
	} {
		keys, err := readPublicKeys(group.paths)
		if err != nil {
			return nil, err
		}
		for i, k := range keys {
			if !group.want(k.Format) {
				return nil, fmt.Errorf("%s: %s", group.paths[i], group.what)
			}
		}
		all = append(all, keys...)
	}
	return all, nil
}

// update builds a ClientUpdate from the flags actually given, so that an omitted flag
// leaves the setting alone.
func (cf *clientFlags) update(f *pflag.FlagSet) (adminapi.ClientUpdate, error) {
	var up adminapi.ClientUpdate
	set := func(name string) bool { return f.Changed(name) }
	if set("name") {
		up.Name = &cf.name
	}
	if set("auth-method") || set("public") {
		method, err := cf.method()
		if err != nil {
			return up, err
		}
		up.AuthMethod = adminapi.Ptr(jeton.AuthMethod(method))
	}
	if set("first-party") {
		up.FirstParty = &cf.firstParty
	}
	if set("require-par") || set("require-pushed-authorization-requests") {
		up.RequirePAR = &cf.requirePAR
	}
	if set("require-signed-request-object") {
		up.RequireSignedRequestObject = &cf.requireSignedObject
	}
	if set("profile") {
		up.Profile = &cf.profile
	}
	if set("authorization-details-types") {
		types := splitGrants(cf.detailTypes) // type names hold no commas or spaces either
		if types == nil {
			types = []string{} // --authorization-details-types "" clears them
		}
		up.AuthorizationDetailsTypes = &types
	}
	if set("dpop-bound-access-tokens") {
		up.DPoPBoundAccessTokens = &cf.sender.DPoPBoundAccessTokens
	}
	if set("tls-client-auth-subject-dn") {
		up.TLSClientAuthSubjectDN = &cf.sender.TLSClientAuthSubjectDN
	}
	if set("tls-client-auth-san-dns") {
		up.TLSClientAuthSANDNS = &cf.sender.TLSClientAuthSANDNS
	}
	if set("tls-client-certificate-bound-access-tokens") {
		up.TLSClientCertificateBoundAccessTokens = &cf.sender.TLSClientCertificateBoundAccessTokens
	}
	if set("grant") {
		up.Grants = adminapi.Ptr(splitGrants(cf.grants))
	}
	if set("refresh-rotation") {
		up.RefreshRotation = &cf.refreshRotation
	}
	if set("scope") {
		up.Scopes = adminapi.Ptr(splitWords(cf.scopes))
	}
	if set("default-scope") {
		up.DefaultScopes = adminapi.Ptr(splitWords(cf.defaultScopes))
	}
	if set("redirect-uri") {
		up.RedirectURIs = &cf.redirectURIs
	}
	if set("token-format") {
		up.TokenFormat = adminapi.Ptr(jeton.TokenFormat(cf.tokenFormat))
	}
	if set("signing-alg") {
		up.SigningAlg = &cf.signingAlg
	}
	if set("act-for") {
		up.Institutions = &cf.actFor
	}
	if set("max-active-tokens") {
		up.MaxActiveTokens = &cf.maxActiveTokens
	}
	up.AddInstitutions, up.RemoveInstitutions = cf.addInstitutions, cf.removeInstitutions
	var err error
	if set("access-ttl") {
		if up.AccessTokenTTL, err = wholeSeconds("access-ttl", cf.accessTTL); err != nil {
			return up, err
		}
	}
	if set("refresh-ttl") {
		if up.RefreshTokenTTL, err = wholeSeconds("refresh-ttl", cf.refreshTTL); err != nil {
			return up, err
		}
	}
	keysGiven := set("public-key-file") || set("public-key") || set("jwks")
	if keysGiven {
		keys, err := cf.keys()
		if err != nil {
			return up, err
		}
		up.PublicKeys = &keys
	}
	// Keys and a jwks_uri exclude each other (RFC 7591 §2), so giving one replaces
	// the other.
	if set("jwks-uri") {
		up.JWKSURI = &cf.jwksURI
		if !keysGiven && cf.jwksURI != "" {
			up.PublicKeys = &[]jeton.ClientKey{}
		}
	} else if keysGiven {
		up.JWKSURI = adminapi.Ptr("")
	}
	return up, nil
}

// maxKeyFile bounds a public-key file; the server refuses bodies over 64 KiB anyway.
const maxKeyFile = 64 << 10

// readPublicKeys reads key files, telling the format from the content: a JSON object
// is a JWK Set, a PEM CERTIFICATE an X.509 certificate, any other PEM a public key
// (the server checks the details).
func readPublicKeys(paths []string) ([]jeton.ClientKey, error) {
	var keys []jeton.ClientKey
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if len(data) > maxKeyFile {
			return nil, fmt.Errorf("%s: larger than %d bytes", p, maxKeyFile)
		}
		k, err := detectKey(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func detectKey(data []byte) (jeton.ClientKey, error) {
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("{")) {
		return jeton.ClientKey{Format: jeton.KeyJWKS, Data: string(trimmed)}, nil
	}
	block, _ := pem.Decode(trimmed)
	switch {
	case block == nil:
		return jeton.ClientKey{}, fmt.Errorf("neither PEM nor a JWK Set")
	case block.Type == "CERTIFICATE":
		return jeton.ClientKey{Format: jeton.KeyX509, Data: string(trimmed)}, nil
	}
	return jeton.ClientKey{Format: jeton.KeyPEM, Data: string(trimmed)}, nil
}

func newClientCmd() *cobra.Command {
	group := &cobra.Command{Use: "client", Short: "Manage OAuth clients"}
	conn := addAdminFlags(group)
	group.AddCommand(clientCreateCmd(conn), clientListCmd(conn), clientShowCmd(conn), clientUpdateCmd(conn),
		clientStatusCmd(conn, "disable", "Stop a client from getting tokens (reversible)"),
		clientStatusCmd(conn, "enable", "Let a disabled client get tokens again"),
		clientDeleteCmd(conn), clientRotateCmd(conn))
	addModuleCommands(group, "client", conn)
	return group
}

func clientCreateCmd(conn *adminConn) *cobra.Command {
	var cf clientFlags
	var institution string
	cmd := &cobra.Command{
		Use:   "create --institution ID --name NAME [flags]",
		Short: "Register a client; its secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := cf.input(cmd.Flags(), institution)
			if err != nil {
				return err
			}
			c, err := conn.Client()
			if err != nil {
				return err
			}
			out, err := c.CreateClient(cmd.Context(), in)
			if err != nil {
				return err
			}
			return printCreatedClient(cmd, conn, out)
		},
	}
	cmd.Flags().StringVar(&institution, "institution", "", "owning institution id")
	cf.register(cmd.Flags())
	_ = cmd.MarkFlagRequired("institution")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func clientListCmd(conn *adminConn) *cobra.Command {
	var institution string
	cmd := &cobra.Command{
		Use:   "list [--institution ID]",
		Short: "List clients",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			items, err := c.ListClients(cmd.Context(), institution)
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(items))
			for _, v := range items {
				rows = append(rows, []string{v.ClientID, v.Name, string(v.Status), string(v.AuthMethod), cellList(v.Grants), v.InstitutionID})
			}
			return conn.PrintList(cmd.OutOrStdout(), items, []string{"CLIENT_ID", "NAME", "STATUS", "AUTH_METHOD", "GRANTS", "INSTITUTION"}, rows)
		},
	}
	cmd.Flags().StringVar(&institution, "institution", "", "only clients of this institution")
	return cmd
}

func clientShowCmd(conn *adminConn) *cobra.Command {
	return &cobra.Command{
		Use:   "show CLIENT_ID",
		Short: "Show a client",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			v, err := c.GetClient(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return conn.PrintOne(cmd.OutOrStdout(), v, clientRows(v))
		},
	}
}

func clientUpdateCmd(conn *adminConn) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "update CLIENT_ID [flags]",
		Short: "Change a client's settings; only the flags given change",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			up, err := cf.update(cmd.Flags())
			if err != nil {
				return err
			}
			c, err := conn.Client()
			if err != nil {
				return err
			}
			out, err := c.UpdateClient(cmd.Context(), args[0], up)
			if err != nil {
				return err
			}
			return printCreatedClient(cmd, conn, out)
		},
	}
	cf.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&cf.addInstitutions, "add-institution", nil, "an institution id the client may act for from now on, repeatable")
	cmd.Flags().StringArrayVar(&cf.removeInstitutions, "remove-institution", nil, "an institution id the client no longer acts for, repeatable")
	return cmd
}

func clientStatusCmd(conn *adminConn, verb, short string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " CLIENT_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			var v adminapi.ClientView
			if verb == "disable" {
				v, err = c.DisableClient(cmd.Context(), args[0])
			} else {
				v, err = c.EnableClient(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			return conn.PrintOne(cmd.OutOrStdout(), v, clientRows(v))
		},
	}
}

func clientDeleteCmd(conn *adminConn) *cobra.Command {
	return &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete a client for good (it stays listed as deleted)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			if err := c.DeleteClient(cmd.Context(), args[0]); err != nil {
				return err
			}
			if conn.output == "json" {
				return writeJSONTo(cmd.OutOrStdout(), map[string]string{"client_id": args[0], "status": string(jeton.ClientDeleted)})
			}
			fmt.Fprintln(cmd.OutOrStdout(), "deleted", args[0])
			return nil
		},
	}
}

func clientRotateCmd(conn *adminConn) *cobra.Command {
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "rotate-secret CLIENT_ID [--grace 1h]",
		Short: "Issue a new client secret; the old one works for --grace more",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := conn.Client()
			if err != nil {
				return err
			}
			out, err := c.RotateSecret(cmd.Context(), args[0], grace)
			if err != nil {
				return err
			}
			return printCreatedClient(cmd, conn, out)
		},
	}
	cmd.Flags().DurationVar(&grace, "grace", 0, "how long the old secret keeps working, up to 720h (0: it stops at once)")
	return cmd
}

// printCreatedClient prints a client with its secret when one was just issued; in
// table form a note on stderr says it will not be shown again.
func printCreatedClient(cmd *cobra.Command, conn *adminConn, out adminapi.CreatedClient) error {
	rows := clientRows(out.ClientView)
	if out.ClientSecret != "" {
		rows = append(rows[:1:1], append([][2]string{{"client_secret", out.ClientSecret}}, rows[1:]...)...)
	}
	if err := conn.PrintOne(cmd.OutOrStdout(), out, rows); err != nil {
		return err
	}
	if out.ClientSecret != "" && conn.output == "table" {
		fmt.Fprintln(cmd.ErrOrStderr(), "Store the client_secret now: it cannot be shown again.")
	}
	return nil
}

func clientRows(v adminapi.ClientView) [][2]string {
	rows := [][2]string{
		{"client_id", v.ClientID}, {"name", v.Name}, {"institution_id", v.InstitutionID}, {"status", string(v.Status)},
		{"auth_method", string(v.AuthMethod)}, {"grants", cellList(v.Grants)}, {"scopes", cellList(v.Scopes)},
		{"default_scopes", cellList(v.DefaultScopes)}, {"redirect_uris", cellList(v.RedirectURIs)},
		{"token_format", string(v.TokenFormat)},
		{"access_token_ttl", (time.Duration(v.AccessTokenTTL) * time.Second).String()},
		{"refresh_token_ttl", (time.Duration(v.RefreshTokenTTL) * time.Second).String()},
		{"signing_alg", v.SigningAlg}, {"public_keys", strconv.Itoa(len(v.PublicKeys))},
		{"jwks_uri", v.JWKSURI}, {"refresh_rotation", v.RefreshRotation},
		{"institutions", cellList(v.Institutions)}, {"max_active_tokens", maxActiveCell(v.MaxActiveTokens)},
		{"profile", profileCell(v)},
	}
	if v.PreviousSecretExpiresAt != nil {
		rows = append(rows, [2]string{"previous_secret_expires_at", cellTime(*v.PreviousSecretExpiresAt)})
	}
	return append(rows, [2]string{"created_at", cellTime(v.CreatedAt)}, [2]string{"updated_at", cellTime(v.UpdatedAt)})
}

// profileCell is the profile the client is held to, saying when it is its
// institution's default (docs/fapi2.md); "-" for none.
func profileCell(v adminapi.ClientView) string {
	switch {
	case v.EffectiveProfile == "":
		return "-"
	case v.Profile == "":
		return v.EffectiveProfile + " (institution default)"
	}
	return v.EffectiveProfile
}

func maxActiveCell(n int) string {
	if n == 0 {
		return "no cap"
	}
	return strconv.Itoa(n)
}

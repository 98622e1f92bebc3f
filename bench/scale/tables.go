package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/jeton/jeton"
)

// table is one table's bulk load: its columns and, for row i, the values each store
// binds, encoded as that store's own insert does (sqlite/*.go, postgres/*.go). A
// family is two rows (refresh_families and refresh_tokens), so it is two tables.
type table struct {
	name     string
	cols     []string
	n        int
	sqlite   func(i int) []any
	postgres func(i int) []any
}

// tables lists p's tables in an order that satisfies the foreign keys.
func (p *Pop) tables() []table {
	return []table{
		{"institutions", []string{"id", "name", "created_at", "updated_at"}, p.Institutions,
			func(i int) []any {
				in := p.Institution(i)
				return []any{in.ID, in.Name, micros(in.CreatedAt), micros(in.UpdatedAt)}
			},
			func(i int) []any {
				in := p.Institution(i)
				return []any{in.ID, in.Name, ts(in.CreatedAt), ts(in.UpdatedAt)}
			}},
		{"clients", clientCols, p.Clients,
			func(j int) []any { return sqliteClient(p.Client(j)) },
			func(j int) []any { return pgClient(p.Client(j)) }},
		{"customers", customerCols, p.Customers,
			func(k int) []any {
				c := p.Customer(k)
				return []any{c.ID, c.InstitutionID, c.Username, c.PasswordHash, jsonText(c.Claims), string(c.Status),
					int64(c.FailedAttempts), micros(c.LockedUntil), micros(c.CreatedAt), micros(c.UpdatedAt),
					micros(c.FailureWindowStart), int64(c.AttemptsInFlight)}
			},
			func(k int) []any {
				c := p.Customer(k)
				return []any{c.ID, c.InstitutionID, c.Username, c.PasswordHash, jsonb(c.Claims, "{}"), string(c.Status),
					int32(c.FailedAttempts), ts(c.LockedUntil), ts(c.CreatedAt), ts(c.UpdatedAt),
					ts(c.FailureWindowStart), int32(c.AttemptsInFlight)}
			}},
		{"refresh_families", familyCols, p.Families,
			func(f int) []any {
				fam, _, _ := p.Family(f)
				return []any{fam.ID, fam.ClientID, fam.InstitutionID, fam.Subject, jsonText(fam.Scope),
					micros(fam.AuthTime), micros(fam.CreatedAt), micros(fam.ExpiresAt), micros(fam.RevokedAt),
					string(fam.AuthorizationDetails)}
			},
			func(f int) []any {
				fam, _, _ := p.Family(f)
				return []any{fam.ID, fam.ClientID, fam.InstitutionID, fam.Subject, texts(fam.Scope),
					ts(fam.AuthTime), ts(fam.CreatedAt), ts(fam.ExpiresAt), ts(fam.RevokedAt),
					string(fam.AuthorizationDetails)}
			}},
		{"refresh_tokens", tokenCols, p.Families,
			func(f int) []any {
				_, t, _ := p.Family(f)
				_, digest, _ := jeton.SplitRefreshKey(t.Digest)
				// legacy is NULL: the key names its family (migration 13).
				return []any{t.FamilyID, digest, micros(t.CreatedAt), micros(t.ExpiresAt), micros(t.UsedAt), blob(t.SuccessorDigest), nil}
			},
			func(f int) []any {
				_, t, _ := p.Family(f)
				_, digest, _ := jeton.SplitRefreshKey(t.Digest)
				return []any{t.FamilyID, digest, ts(t.CreatedAt), ts(t.ExpiresAt), ts(t.UsedAt), t.SuccessorDigest, (*bool)(nil)}
			}},
		// The stores name the replay table differently (sqlite: assertion_uses keyed by
		// a digest; postgres: assertion_ids with the plain values): replayTable fixes
		// the name and columns per store.
		{"assertion_uses", []string{"expires_at", "key"}, p.Replays,
			func(r int) []any {
				client, jti, exp := p.Replay(r)
				return []any{exp.UnixMicro(), assertionKey(client, jti)}
			},
			func(r int) []any {
				client, jti, exp := p.Replay(r)
				return []any{client, jti, exp}
			}},
		{"access_tokens", accessCols, p.Opaque,
			func(o int) []any {
				t, _ := p.OpaqueToken(o)
				return []any{t.Digest, t.JTI, t.ClientID, t.InstitutionID, t.Subject, jsonText(t.Scope),
					jsonText(t.Audience), t.FamilyID, micros(t.IssuedAt), micros(t.ExpiresAt), string(t.AuthorizationDetails)}
			},
			func(o int) []any {
				t, _ := p.OpaqueToken(o)
				return []any{t.Digest, t.JTI, t.ClientID, t.InstitutionID, t.Subject, texts(t.Scope),
					texts(t.Audience), t.FamilyID, t.IssuedAt, t.ExpiresAt, string(t.AuthorizationDetails)}
			}},
	}
}

// pgReplay is the PostgreSQL name and columns of the replay table.
var pgReplay = table{name: "assertion_ids", cols: []string{"client_id", "jti", "expires_at"}}

var (
	clientCols = []string{"id", "institution_id", "name", "status", "auth_method", "secret_digest",
		"previous_secret_digest", "previous_secret_expires_at", "public_keys", "institutions", "grants",
		"scopes", "default_scopes", "redirect_uris", "token_format", "access_token_ttl_ns",
		"refresh_token_ttl_ns", "signing_alg", "created_at", "updated_at", "secret_sealed",
		"previous_secret_sealed", "jwks_uri", "refresh_rotation_off", "max_active_tokens", "first_party", "require_par",
		"require_signed_request_object", "authorization_details_types"}
	customerCols = []string{"id", "institution_id", "username", "password_hash", "claims", "status",
		"failed_attempts", "locked_until", "created_at", "updated_at", "failure_window_start", "attempts_in_flight"}
	familyCols = []string{"id", "client_id", "institution_id", "subject", "scope", "auth_time",
		"created_at", "expires_at", "revoked_at", "authorization_details"}
	tokenCols  = []string{"family_id", "digest", "created_at", "expires_at", "used_at", "successor_digest", "legacy"}
	accessCols = []string{"digest", "jti", "client_id", "institution_id", "subject", "scope", "audience",
		"family_id", "issued_at", "expires_at", "authorization_details"}
)

func sqliteClient(c jeton.Client) []any {
	return []any{c.ID, c.InstitutionID, c.Name, string(c.Status), string(c.AuthMethod), blob(c.SecretDigest),
		blob(c.PreviousSecretDigest), micros(c.PreviousSecretExpiresAt),
		jsonText(c.PublicKeys), jsonText(c.Institutions), jsonText(c.Grants), jsonText(c.Scopes),
		jsonText(c.DefaultScopes), jsonText(c.RedirectURIs),
		string(c.TokenFormat), int64(c.AccessTokenTTL), int64(c.RefreshTokenTTL), c.SigningAlg,
		micros(c.CreatedAt), micros(c.UpdatedAt), blob(c.SecretSealed),
		blob(c.PreviousSecretSealed), c.JWKSURI, c.RefreshRotationOff, int64(c.MaxActiveTokens), c.FirstParty, c.RequirePAR,
		c.RequireSignedRequestObject, jsonText(c.AuthorizationDetailsTypes)}
}

func pgClient(c jeton.Client) []any {
	return []any{c.ID, c.InstitutionID, c.Name, string(c.Status), string(c.AuthMethod), c.SecretDigest,
		c.PreviousSecretDigest, ts(c.PreviousSecretExpiresAt), jsonb(c.PublicKeys, "[]"), texts(c.Institutions),
		texts(c.Grants), texts(c.Scopes), texts(c.DefaultScopes), texts(c.RedirectURIs),
		string(c.TokenFormat), int64(c.AccessTokenTTL), int64(c.RefreshTokenTTL), c.SigningAlg,
		ts(c.CreatedAt), ts(c.UpdatedAt), c.SecretSealed, c.PreviousSecretSealed, c.JWKSURI,
		c.RefreshRotationOff, int32(c.MaxActiveTokens), c.FirstParty, c.RequirePAR,
		c.RequireSignedRequestObject, texts(c.AuthorizationDetailsTypes)}
}

// The encodings below are those of sqlite/codec.go and postgres/codec.go (the stores
// keep them unexported); rows_test.go holds them to it byte for byte.

func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings, maps of them and plain structs: cannot fail
	}
	return string(b)
}

func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func texts(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func jsonb(v any, empty string) string {
	s := jsonText(v)
	if s == "null" {
		return empty
	}
	return s
}

// assertionKey is the SQLite store's replay key (sqlite/assertions.go): the SHA-256
// of the client id's length (uvarint), the client id and the jti.
func assertionKey(clientID, jti string) []byte {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(clientID)))])
	h.Write([]byte(clientID))
	h.Write([]byte(jti))
	return h.Sum(nil)
}

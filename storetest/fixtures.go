package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/jeton/jeton"
)

// t0 is the suite's fixed "now". It has a sub-second part at microsecond precision
// (what both backends keep) and sits in a non-UTC zone, so a store that drops
// microseconds or mangles zones fails the round-trip checks.
var t0 = time.Date(2031, 5, 17, 10, 4, 5, 123456000, time.FixedZone("CEST", 2*3600))

// at returns t0 shifted by d.
func at(d time.Duration) time.Time { return t0.Add(d) }

func newInstitution(id string) jeton.Institution {
	return jeton.Institution{ID: id, Name: "Bank " + id, CreatedAt: at(0), UpdatedAt: at(time.Second)}
}

// newClient returns a client with every field set to a non-zero value.
func newClient(id, institutionID string) jeton.Client {
	return jeton.Client{
		ID:                      id,
		InstitutionID:           institutionID,
		Name:                    "Client " + id,
		Status:                  jeton.ClientActive,
		AuthMethod:              jeton.AuthPrivateKey,
		SecretDigest:            jeton.Digest("secret-" + id),
		PreviousSecretDigest:    jeton.Digest("old-secret-" + id),
		PreviousSecretExpiresAt: at(time.Hour),
		SecretSealed:            []byte("sealed-secret-" + id),
		PreviousSecretSealed:    []byte("sealed-old-secret-" + id),
		JWKSURI:                 "https://" + id + ".example/jwks.json",
		RefreshRotationOff:      true,
		MaxActiveTokens:         7,
		FirstParty:              true,
		RequirePAR:              true,
		// Issue 18 (RFC 9101 §10.5, RFC 9396 §10).
		RequireSignedRequestObject: true,
		AuthorizationDetailsTypes:  []string{"payment_initiation", "account_information"},
		SenderConstraints: jeton.SenderConstraints{
			DPoPBoundAccessTokens: true, TLSClientAuthSubjectDN: "CN=" + id + ",O=Example",
			TLSClientAuthSANDNS: id + ".example", TLSClientCertificateBoundAccessTokens: true,
		},
		Profile: "fapi2", // issue 18 part 5
		PublicKeys: []jeton.ClientKey{
			{Format: jeton.KeyPEM, Data: "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"},
			{Format: jeton.KeyJWKS, Data: `{"keys":[{"kty":"EC","crv":"P-256"}]}`},
		},
		Institutions:    []string{institutionID, "partner-" + institutionID},
		Grants:          []string{jeton.GrantClientCredentials, jeton.GrantRefreshToken},
		Scopes:          []string{"accounts", "payments", "openid"},
		DefaultScopes:   []string{"accounts"},
		RedirectURIs:    []string{"https://app.example/cb", "com.example.app:/cb"},
		TokenFormat:     jeton.FormatOpaque,
		AccessTokenTTL:  5*time.Minute + 30*time.Second,
		RefreshTokenTTL: 30 * 24 * time.Hour,
		SigningAlg:      "PS256",
		CreatedAt:       at(2 * time.Second),
		UpdatedAt:       at(3 * time.Second),
	}
}

// newBareClient returns a client whose slice and byte fields are all nil.
func newBareClient(id, institutionID string) jeton.Client {
	return jeton.Client{
		ID: id, InstitutionID: institutionID, Name: "bare", Status: jeton.ClientDisabled,
		AuthMethod: jeton.AuthNone, TokenFormat: jeton.FormatJWT, SigningAlg: "ES256",
		CreatedAt: at(4 * time.Second), UpdatedAt: at(4 * time.Second),
	}
}

// newCustomer returns a customer with every field set, claims of every JSON kind
// (numbers as float64, which is what JSON gives back).
func newCustomer(id, institutionID, username string) jeton.Customer {
	return jeton.Customer{
		ID:            id,
		InstitutionID: institutionID,
		Username:      username,
		PasswordHash:  "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA",
		Claims: map[string]any{
			"name":           "Ada Lovelace",
			"email_verified": true,
			"accounts":       []any{"FR76-1", "FR76-2"},
			"address":        map[string]any{"country": "FR", "zip": "75001"},
			"tier":           float64(3),
		},
		Status:             jeton.CustomerActive,
		FailedAttempts:     2,
		AttemptsInFlight:   1,
		FailureWindowStart: at(-time.Minute),
		LockedUntil:        at(15 * time.Minute),
		CreatedAt:          at(5 * time.Second),
		UpdatedAt:          at(6 * time.Second),
	}
}

func newSigningKey(id, alg string, activeAt time.Time) jeton.SigningKey {
	return jeton.SigningKey{
		ID: id, Alg: alg,
		PublicDER:     []byte("public-der-" + id),
		PrivateSealed: []byte("sealed-private-" + id),
		CreatedAt:     activeAt.Add(-time.Minute),
		ActiveAt:      activeAt,
	}
}

func newFamily(id, clientID, institutionID string) jeton.RefreshFamily {
	return jeton.RefreshFamily{
		ID: id, ClientID: clientID, InstitutionID: institutionID, Subject: "cust-1",
		Scope:     []string{"openid", "accounts"},
		AuthTime:  at(-time.Minute),
		CreatedAt: at(0),
		ExpiresAt: at(90 * 24 * time.Hour),
		// Stored byte for byte (RFC 9396 §7.1 narrowing compares against it).
		AuthorizationDetails: json.RawMessage(`[{"type":"account_information","actions":["read"]}]`),
		DPoPJKT:              "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
	}
}

// newToken returns the token secret of family familyID, under the key jeton gives it
// (jeton.RefreshKey: family-prefixed when the id is 32 hex characters).
func newToken(secret, familyID string, createdAt time.Time) jeton.RefreshToken {
	return jeton.RefreshToken{
		Digest: jeton.RefreshKey(familyID, secret), FamilyID: familyID,
		CreatedAt: createdAt, ExpiresAt: createdAt.Add(14 * 24 * time.Hour),
	}
}

// seed creates institution instID and client clientID in it.
func seed(t *testing.T, s jeton.Store, instID, clientID string) {
	t.Helper()
	ctx := t.Context()
	ok(t, "create institution", s.CreateInstitution(ctx, newInstitution(instID)))
	if clientID != "" {
		ok(t, "create client", s.CreateClient(ctx, newClient(clientID, instID)))
	}
}

// keys is how a test names its refresh families, which decides how their tokens are
// keyed (migration 13): every family jeton makes has an id of 32 hex characters and
// its tokens' keys carry it; tokens made before issue 16, and tokens of families with
// ids of another form, are keyed by their digest alone (legacy). Both kinds live in
// one table and every refresh test runs with each.
type keys struct {
	prefix string // of the subtests' names
	legacy bool
}

var (
	familyKeys = keys{}
	legacyKeys = keys{prefix: "Legacy/", legacy: true}
)

// fam is the id of the family a test calls name.
func (k keys) fam(name string) string {
	if k.legacy {
		return name
	}
	d := sha256.Sum256([]byte(name))
	return hex.EncodeToString(d[:16])
}

// key is the key of token secret of family famID.
func (k keys) key(secret, famID string) []byte { return jeton.RefreshKey(famID, secret) }

// seedFamily creates an institution, a client and a family (fam-1) whose first token
// is secret; it returns the family.
func seedFamily(t *testing.T, s jeton.Store, secret string) jeton.RefreshFamily {
	t.Helper()
	return seedFamilyWith(t, s, familyKeys, secret)
}

// seedFamilyWith is seedFamily with the family named as k names it.
func seedFamilyWith(t *testing.T, s jeton.Store, k keys, secret string) jeton.RefreshFamily {
	t.Helper()
	seed(t, s, "inst-a", "client-a")
	f := newFamily(k.fam("fam-1"), "client-a", "inst-a")
	ok(t, "create family", s.CreateRefreshFamily(t.Context(), f, newToken(secret, f.ID, at(0))))
	return f
}

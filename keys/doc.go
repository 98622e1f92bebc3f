// Package keys manages jeton's own token-signing keys: generation, encryption at rest
// under a key-encryption key (KEK), rotation with a publish delay (by hand or on a
// schedule, exactly once across replicas), the JWK Set that relying parties fetch, the
// Signer that the token engine calls on every issue, and the rotation of the KEK itself.
//
// # Lifecycle of a key
//
// A key is published in the JWK Set from CreatedAt on, starts signing at ActiveAt, stops
// signing when a successor becomes active (RetiredAt) and leaves the JWK Set at
// UnpublishAt, once every token it signed has expired. Rotation therefore creates the
// successor with ActiveAt = now + PublishDelay, so that verifiers that cache the JWK Set
// see the new key before the first token signed with it; the predecessor stays
// published for MaxTokenTTL after it stops signing. A [Scheduler] rotates each alg's key
// once it is older than its interval, through the store's conditional ReplaceSigningKey.
//
// # Where the private keys live
//
// Private keys are stored only as AES-256-GCM sealed PKCS #8 DER (DESIGN rule 5) and
// are decrypted once, in [Manager.Load] or [Manager.Reload]; a wrong KEK fails there,
// at start-up, not at the first token request. Each sealed value names the KEK that
// sealed it (seal.go); a [Keyring] seals with the current KEK and opens with it or a
// previous one, and [Reseal] moves every sealed value in the store to the current KEK.
package keys

// Package keys manages jeton's own token-signing keys: generation, encryption at rest
// under a key-encryption key (KEK), rotation with a publish delay, the JWK Set that
// relying parties fetch, and the Signer that the token engine calls on every issue.
//
// # Lifecycle of a key
//
// A key is published in the JWK Set from CreatedAt on, starts signing at ActiveAt, stops
// signing when a successor becomes active (RetiredAt) and leaves the JWK Set at
// UnpublishAt, once every token it signed has expired. Rotation therefore creates the
// successor with ActiveAt = now + PublishDelay, so that verifiers that cache the JWK Set
// see the new key before the first token signed with it; the predecessor stays
// published for MaxTokenTTL after it stops signing.
//
// # Where the private keys live
//
// Private keys are stored only as AES-256-GCM sealed PKCS #8 DER (DESIGN rule 5) and
// are decrypted once, in [Manager.Load] or [Manager.Reload]; a wrong KEK fails there,
// at start-up, not at the first token request.
package keys

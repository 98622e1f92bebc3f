package jeton

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// ActorSystem is the audit actor of what jeton does by itself: the first keys it
// generates, and the security events it aggregates (package auditlog).
const ActorSystem = "jeton"

// The audit actions of the core. Every event the core writes has one of these; vendor
// modules declare theirs in their own packages (the core names no vendor), and
// docs/admin-api.yaml lists each set as an enum that tests compare with the code.
const (
	ActionInstitutionCreate      = "institution.create"
	ActionInstitutionUpdate      = "institution.update"
	ActionInstitutionHoursSet    = "institution.hours.set"
	ActionInstitutionHoursClear  = "institution.hours.clear"
	ActionInstitutionBranding    = "institution.branding"
	ActionClientCreate           = "client.create"
	ActionClientUpdate           = "client.update"
	ActionClientDelete           = "client.delete"
	ActionClientSecretRotate     = "client.secret_rotate"
	ActionCustomerCreate         = "customer.create"
	ActionCustomerPasswordSet    = "customer.password_set"
	ActionCustomerUnlock         = "customer.unlock"
	ActionCustomerConsentsRevoke = "customer.consents.revoke"
	ActionCustomerLocked         = string(EventLockout) // by the password sign-in, actor the client
	ActionRefreshReuse           = "refresh.reuse"      // by the refresh grant, actor the client
	ActionKeyCreate              = "key.create"         // a first key of an alg, at start (ActorSystem)
	ActionKeyRotate              = "key.rotate"
	ActionRateLimitSet           = "ratelimit.set"
	ActionRateLimitDelete        = "ratelimit.delete"
	// The web console (docs/console.md).
	ActionConsoleSignIn           = "console.signin"
	ActionConsoleSignOut          = "console.signout"
	ActionConsoleRecoveryCodeUsed = "console.recovery_code_used"
	ActionConsoleUserCreate       = "console_user.create"
	ActionConsoleUserUnlock       = "console_user.unlock"
	ActionConsoleUserDisable      = "console_user.disable" // also ends the user's sessions
	ActionConsoleUserEnable       = "console_user.enable"
)

// auditActions is the one list of the core's audit actions: the constants above and
// the security events the audit log aggregates (auditlog writes one row per kind,
// institution, client and reason per window, with the kind as its action).
var auditActions = [...]string{
	ActionInstitutionCreate, ActionInstitutionUpdate, ActionInstitutionHoursSet,
	ActionInstitutionHoursClear, ActionInstitutionBranding,
	ActionClientCreate, ActionClientUpdate, ActionClientDelete, ActionClientSecretRotate,
	ActionCustomerCreate, ActionCustomerPasswordSet, ActionCustomerUnlock,
	ActionCustomerConsentsRevoke, ActionCustomerLocked, ActionRefreshReuse,
	ActionKeyCreate, ActionKeyRotate, ActionRateLimitSet, ActionRateLimitDelete,
	ActionConsoleSignIn, ActionConsoleSignOut, ActionConsoleRecoveryCodeUsed,
	ActionConsoleUserCreate, ActionConsoleUserUnlock, ActionConsoleUserDisable, ActionConsoleUserEnable,
	string(EventReplayRefused), string(EventFamilyRevoked), string(EventKeyRotated), string(EventRateLimited),
}

// AuditActions returns the core's audit actions, in a fresh slice.
func AuditActions() []string { return slices.Clone(auditActions[:]) }

// KnownAuditAction reports whether a is one of AuditActions.
func KnownAuditAction(a string) bool { return slices.Contains(auditActions[:], a) }

// AuditChange describes a change from before to after for an audit event's details:
// "before" and "after" are JSON objects of the fields that differ, as the values' JSON
// encodings show them. A nil before is a creation (after holds every field), a nil
// after a deletion. updated_at is left out (every change moves it).
//
// No secret reaches it: jeton's types keep secrets out of their JSON (digests, sealed
// keys and password hashes are `json:"-"`), and as a second guard a field whose name
// says it holds one (secret, password, hash, digest, sealed, private) is dropped.
func AuditChange(before, after any) map[string]string {
	b, a := auditFields(before), auditFields(after)
	changed := map[string]string{}
	add := func(name string, fields map[string]json.RawMessage, keep func(k string) bool) {
		out := map[string]json.RawMessage{}
		for k, v := range fields {
			if keep(k) {
				out[k] = v
			}
		}
		if fields != nil {
			j, _ := json.Marshal(out) // raw messages from json.Marshal: cannot fail
			changed[name] = string(j)
		}
	}
	differs := func(k string) bool { return string(b[k]) != string(a[k]) }
	add("before", b, differs)
	add("after", a, differs)
	return changed
}

// auditFields is v's JSON object by field, without updated_at and secret-named
// fields; nil for a nil v.
func auditFields(v any) map[string]json.RawMessage {
	if v == nil {
		return nil
	}
	j, err := json.Marshal(v)
	var m map[string]json.RawMessage
	if err != nil || json.Unmarshal(j, &m) != nil {
		return map[string]json.RawMessage{} // not an object: nothing to show
	}
	for k := range maps.Keys(m) {
		if k == "updated_at" || secretField(k) {
			delete(m, k)
		}
	}
	return m
}

// secretField reports whether a field name says it holds a secret.
func secretField(name string) bool {
	name = strings.ToLower(name)
	for _, s := range []string{"secret", "password", "hash", "digest", "sealed", "private"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// WithAuditDetail returns e with Details[key] = value (Details copied, never shared).
func WithAuditDetail(e AuditEvent, key, value string) AuditEvent {
	d := maps.Clone(e.Details)
	if d == nil {
		d = map[string]string{}
	}
	d[key] = value
	e.Details = d
	return e
}

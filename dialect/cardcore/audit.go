package cardcore

// The audit actions of the CardCore module: its application management (actor
// institution-key:<key id>) and its institution-scoped admin keys (actor admin). The
// core names no vendor, so they are listed here; cardcoremod.Module.AuditActions
// hands them to the test that compares them with docs/admin-api.yaml.
const (
	ActionAppCreate            = "cardcore.app.create"
	ActionAppUpdate            = "cardcore.app.update"
	ActionAppDelete            = "cardcore.app.delete"
	ActionInstitutionKeyCreate = "institution.key.create"
	ActionInstitutionKeyRevoke = "institution.key.revoke"
)

// AuditActions lists every action above.
var AuditActions = []string{ActionAppCreate, ActionAppUpdate, ActionAppDelete,
	ActionInstitutionKeyCreate, ActionInstitutionKeyRevoke}

package console

import (
	"context"
	"errors"
	"time"

	"github.com/jeton/jeton"
)

// ErrSelfDisable refuses an operator's disabling of their own account: a console
// whose every operator is disabled can only be recovered on the database's machine.
var ErrSelfDisable = errors.New("you cannot disable your own console user")

// SetUserDisabled disables (and so signs out everywhere at once) or enables the
// console user target, by actor ("console:<username>" or "cli"), with its audit
// event in the same transaction. The console's users page and `jeton console-user
// disable|enable` both call it: one path to the store. actorID is the acting console
// user's id ("" for the CLI); it may not be target's when disabling.
func SetUserDisabled(ctx context.Context, store jeton.Store, actor, actorID string, target jeton.ConsoleUser, disabled bool, details map[string]string, now time.Time) error {
	if disabled && actorID != "" && actorID == target.ID {
		return ErrSelfDisable
	}
	action := jeton.ActionConsoleUserEnable
	if disabled {
		action = jeton.ActionConsoleUserDisable
	}
	if details == nil {
		details = map[string]string{}
	}
	details["username"] = target.Username
	now = now.UTC().Truncate(time.Microsecond)
	ev := jeton.AuditEvent{ID: jeton.NewID(), At: now, InstitutionID: target.InstitutionID,
		Actor: actor, Action: action, Subject: target.ID, Details: details}
	return store.SetConsoleUserDisabled(ctx, target.ID, disabled, now, ev)
}

// ListUsers returns every console user by username, reading the store a page at a
// time (the CLI's list).
func ListUsers(ctx context.Context, store jeton.Store) ([]jeton.ConsoleUser, error) {
	var all []jeton.ConsoleUser
	after := ""
	for {
		page, err := store.ListConsoleUsers(ctx, after, 500)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 500 {
			return all, nil
		}
		after = page[len(page)-1].Username
	}
}

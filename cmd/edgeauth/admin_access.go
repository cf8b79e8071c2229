package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
)

// What a user has handed out: its browser sessions, its grants (what a
// client may still do for it) and its consents, each listed and revoked
// (admin.Access in the API).

// accessFlags are --tenant and --user, and --all for the revocations.
type accessFlags struct {
	*tenant
	user string
	all  bool
}

func newAccessFlags(fs *flag.FlagSet, revoke bool) *accessFlags {
	f := &accessFlags{tenant: tenantFlag(fs)}
	fs.StringVar(&f.user, "user", "", "the user's `ID` (required): its sub, as users create printed it")
	if revoke {
		fs.BoolVar(&f.all, "all", false, "revoke every one of them, not one named by its id")
	}
	return f
}

// accessNoun describes one of the three nouns.
type accessNoun struct {
	name, plural string // "session", "sessions"
	idName       string // what names one in the usage: SESSION_ID
	list         string // the list command's summary
	revokeOne    string // what revoking one does
	revokeAll    string // what --all does
	listExample  string
	example      string
	columns      []string
	row          func(json.RawMessage) []string
	// done says what a revocation did, from the counts --all answers
	// (nil for one).
	done func(f *accessFlags, id string, counts map[string]int64) string
}

func (n accessNoun) command() *command {
	return &command{
		name:    n.plural,
		summary: "list and revoke a user's " + n.plural,
		usage:   "COMMAND --tenant T --user U [" + n.idName + " | --all]",
		example: n.listExample + "\n" + n.example,
		sub: []*command{{
			name:    "list",
			summary: n.list,
			usage:   "--tenant T --user U",
			example: n.listExample,
			need:    []string{"tenant", "user"},
			flags:   func(fs *flag.FlagSet) runFunc { return newAccessFlags(fs, false).listOf(n) },
		}, {
			name:     "revoke",
			summary:  n.revokeOne + "; with --all, " + n.revokeAll,
			usage:    "--tenant T --user U (" + n.idName + " | --all)",
			example:  n.example,
			args:     1,
			optional: true,
			need:     []string{"tenant", "user"},
			flags:    func(fs *flag.FlagSet) runFunc { return newAccessFlags(fs, true).revokeOf(n) },
		}},
	}
}

func sessionsCommand() *command {
	return accessNoun{
		name: "session", plural: "sessions", idName: "SESSION_ID",
		list:        "list the user's live browser sessions, newest first (the id is the sid of its ID tokens)",
		revokeOne:   "end one session at once, everywhere, with the grants given in it (as signing out does)",
		revokeAll:   "every session of the user",
		listExample: "edgeauth admin sessions list --tenant acme --user 3f1c9a0e5b7d4c2a",
		example:     "edgeauth admin sessions revoke --tenant acme --user 3f1c9a0e5b7d4c2a --all",
		columns:     []string{"ID", "SIGNED IN", "CREATED", "EXPIRES"},
		row: func(raw json.RawMessage) []string {
			var s struct{ ID, AuthTime, CreatedAt, ExpiresAt string }
			decodeInto(raw, map[string]any{"id": &s.ID, "auth_time": &s.AuthTime, "created_at": &s.CreatedAt, "expires_at": &s.ExpiresAt})
			return []string{s.ID, s.AuthTime, s.CreatedAt, s.ExpiresAt}
		},
		done: func(f *accessFlags, id string, n map[string]int64) string {
			if n == nil {
				return fmt.Sprintf("Revoked session %q of user %q, and the grants given in it.", id, f.user)
			}
			return fmt.Sprintf("Revoked %d sessions of user %q, and %d grants given in them.", n["sessions_revoked"], f.user, n["grants_revoked"])
		},
	}.command()
}

func grantsCommand() *command {
	return accessNoun{
		name: "grant", plural: "grants", idName: "GRANT_ID",
		list: "list the user's live grants, newest first: the client, what it may do, where (resources), " +
			"whether it holds a refresh token, when it was created and last used",
		revokeOne:   "revoke one grant: its refresh token stops working, its access tokens are inactive at introspection",
		revokeAll:   "every grant of the user (it stays signed in)",
		listExample: "edgeauth admin grants list --tenant acme --user 3f1c9a0e5b7d4c2a",
		example:     "edgeauth admin grants revoke --tenant acme --user 3f1c9a0e5b7d4c2a 9Qe2...",
		columns:     []string{"ID", "CLIENT", "SCOPE", "RESOURCES", "REFRESH", "CREATED", "LAST USED", "EXPIRES"},
		row: func(raw json.RawMessage) []string {
			var g struct {
				ID, ClientID, Scope, CreatedAt, LastUsedAt, ExpiresAt string
				Resources                                             []string
				Refresh                                               bool
			}
			decodeInto(raw, map[string]any{"id": &g.ID, "client_id": &g.ClientID, "scope": &g.Scope, "resources": &g.Resources,
				"refresh_token": &g.Refresh, "created_at": &g.CreatedAt, "last_used_at": &g.LastUsedAt, "expires_at": &g.ExpiresAt})
			return []string{g.ID, g.ClientID, g.Scope, resourceList(g.Resources), yesNo(g.Refresh), g.CreatedAt, g.LastUsedAt, g.ExpiresAt}
		},
		done: func(f *accessFlags, id string, n map[string]int64) string {
			if n == nil {
				return fmt.Sprintf("Revoked grant %q of user %q.", id, f.user)
			}
			return fmt.Sprintf("Revoked %d grants of user %q.", n["grants_revoked"], f.user)
		},
	}.command()
}

func consentsCommand() *command {
	return accessNoun{
		name: "consent", plural: "consents", idName: "CLIENT_ID",
		list:        "list what the user has allowed each client (first-party clients ask for no consent)",
		revokeOne:   "forget the user's consent for one client and revoke its grants to that client: it asks again",
		revokeAll:   "every consent of the user",
		listExample: "edgeauth admin consents list --tenant acme --user 3f1c9a0e5b7d4c2a",
		example:     "edgeauth admin consents revoke --tenant acme --user 3f1c9a0e5b7d4c2a web",
		columns:     []string{"CLIENT", "SCOPE", "RESOURCES", "GRANTED"},
		row: func(raw json.RawMessage) []string {
			var c struct {
				ClientID, Scope, GrantedAt string
				Resources                  []string
			}
			decodeInto(raw, map[string]any{"client_id": &c.ClientID, "scope": &c.Scope, "resources": &c.Resources, "granted_at": &c.GrantedAt})
			return []string{c.ClientID, c.Scope, resourceList(c.Resources), c.GrantedAt}
		},
		done: func(f *accessFlags, id string, n map[string]int64) string {
			if n == nil {
				return fmt.Sprintf("Revoked the consent of user %q for client %q, and its grants to it.", f.user, id)
			}
			return fmt.Sprintf("Revoked %d consents of user %q, and %d grants to those clients.", n["consents_revoked"], f.user, n["grants_revoked"])
		},
	}.command()
}

// decodeInto reads the members of the JSON object raw into the pointers
// of fields, by name; a member that is absent or of another type leaves
// its field as it was.
func decodeInto(raw json.RawMessage, fields map[string]any) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return
	}
	for k, p := range fields {
		if v, ok := obj[k]; ok {
			json.Unmarshal(v, p)
		}
	}
}

// resourceList renders resources for a table: "" is a request without a
// resource, the tenant's default audience.
func resourceList(rs []string) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r
		if r == "" {
			out[i] = "(default)"
		}
	}
	return strings.Join(out, ", ")
}

func (f *accessFlags) path(n accessNoun, rest ...string) string {
	return apiPath(append([]string{"tenants", f.tenant.id, "users", f.user, n.plural}, rest...)...)
}

func (f *accessFlags) listOf(n accessNoun) runFunc {
	return func(ctx context.Context, c *call) error {
		var list map[string][]json.RawMessage
		raw, err := c.api.call(ctx, apiRequest{method: "GET", path: f.path(n)}, &list)
		if err != nil {
			return err
		}
		return c.show(raw, func(w io.Writer) error {
			rows := make([][]string, 0, len(list[n.plural]))
			for _, item := range list[n.plural] {
				rows = append(rows, n.row(item))
			}
			return table(w, n.columns, rows)
		})
	}
}

func (f *accessFlags) revokeOf(n accessNoun) runFunc {
	return func(ctx context.Context, c *call) error {
		switch {
		case f.all && len(c.args) > 0:
			return usagef("give a %s id or --all, not both", n.name)
		case !f.all && len(c.args) == 0:
			return usagef("give the %s's id (%s) or --all", n.name, n.idName)
		}
		if !f.all {
			if _, err := c.api.do(ctx, apiRequest{method: "DELETE", path: f.path(n, c.args[0])}); err != nil {
				return err
			}
			return c.done("%s", n.done(f, c.args[0], nil))
		}
		var counts map[string]int64
		raw, err := c.api.call(ctx, apiRequest{method: "DELETE", path: f.path(n)}, &counts)
		if err != nil {
			return err
		}
		if c.json {
			return writeJSON(c.sys.stdout, raw)
		}
		return c.done("%s", n.done(f, "", counts))
	}
}

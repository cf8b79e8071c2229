package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// usersCommand: a user's sessions, grants and consents have nouns of
// their own (admin_access.go). A user's upstream accounts are shown by
// get and unlinked here.
func usersCommand() *command {
	return &command{
		name:    "users",
		summary: "list, create, show, disable, enable and delete a tenant's users",
		usage:   "COMMAND --tenant T [flags] [USER_ID]",
		example: "edgeauth admin users create --tenant acme --username alice --password-file alice.pw --role admin\n" +
			"edgeauth admin users list --tenant acme --prefix ali\n" +
			"edgeauth admin users get --tenant acme 3f1c...",
		sub: []*command{{
			name: "list",
			summary: "list users in the order of their usernames, a page at a time (--all: every page); " +
				"users made by an upstream sign-in are named CONNECTION:SUBJECT",
			usage: "--tenant T [--prefix P] [--limit N] [--after USERNAME | --all]",
			example: "edgeauth admin users list --tenant acme --prefix ali\n" +
				"edgeauth admin users list --tenant acme --prefix github: --all -o json",
			need:  []string{"tenant"},
			flags: func(fs *flag.FlagSet) runFunc { return newUserListFlags(fs).list },
		}, {
			name:    "create",
			summary: "create a user; its id is the stable subject (sub) of its tokens",
			usage:   "--tenant T --username NAME (--password-file PATH | --password-stdin) [--email E [--email-verified]] [--name N] [--role R]...",
			example: "edgeauth admin users create --tenant acme --username alice --email alice@acme.example \\\n" +
				"    --role admin --password-stdin < alice.pw",
			need:  []string{"tenant", "username"},
			flags: func(fs *flag.FlagSet) runFunc { return newUserFlags(fs).create },
		}, {
			name:    "get",
			summary: "show a user and its linked upstream accounts (never its password hash)",
			usage:   "--tenant T USER_ID",
			example: "edgeauth admin users get --tenant acme 3f1c9a0e5b7d4c2a",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).getUser },
		}, {
			name: "disable",
			summary: "disable a user: its sign-in is refused, and its sessions and grants are revoked at once " +
				"(enabling it again restores none of them)",
			usage:   "--tenant T USER_ID",
			example: "edgeauth admin users disable --tenant acme 3f1c9a0e5b7d4c2a",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).setDisabled(true) },
		}, {
			name:    "enable",
			summary: "let a disabled user sign in again",
			usage:   "--tenant T USER_ID",
			example: "edgeauth admin users enable --tenant acme 3f1c9a0e5b7d4c2a",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).setDisabled(false) },
		}, {
			name: "update",
			summary: "change a user's address, its verification, name or roles; what is not given keeps its value " +
				"(a new address is unverified unless --email-verified says otherwise)",
			usage:   "--tenant T USER_ID [--email E] [--email-verified[=false]] [--name N] [--role R]...",
			example: "edgeauth admin users update --tenant acme 3f1c9a0e5b7d4c2a --email-verified",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return newUserUpdateFlags(fs).update },
		}, {
			name:    "delete",
			summary: "delete a user and its refresh grants",
			usage:   "--tenant T USER_ID",
			example: "edgeauth admin users delete --tenant acme 3f1c9a0e5b7d4c2a",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).deleteUser },
		}, {
			name: "unlink",
			summary: "unlink a user's account of an upstream connection: signing in through it no longer " +
				"signs in as this user",
			usage:   "--tenant T --connection C USER_ID",
			example: "edgeauth admin users unlink --tenant acme --connection github 3f1c9a0e5b7d4c2a",
			args:    1,
			need:    []string{"tenant", "connection"},
			flags:   func(fs *flag.FlagSet) runFunc { return newUnlinkFlags(fs).unlink },
		}},
	}
}

// userListFlags are users list's.
type userListFlags struct {
	*tenant
	prefix, after string
	limit         pageSize
	all           bool
}

func newUserListFlags(fs *flag.FlagSet) *userListFlags {
	f := &userListFlags{tenant: tenantFlag(fs)}
	fs.StringVar(&f.prefix, "prefix", "", "only usernames that start with `P`")
	fs.StringVar(&f.after, "after", "", "the page after this `USERNAME` (the next_after of the page before)")
	fs.Var(&f.limit, "limit", "`N` users per page, 1-1000 (default 100)")
	fs.BoolVar(&f.all, "all", false, "every page, not just the first")
	return f
}

// listedUser is a user as a list shows it.
type listedUser struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	HasPassword   bool   `json:"has_password"`
	Disabled      bool   `json:"disabled"`
	CreatedAt     string `json:"created_at"`
}

func (f *userListFlags) list(ctx context.Context, c *call) error {
	switch {
	case f.after != "" && f.all:
		return usagef("--after and --all: give one")
	}
	q := url.Values{}
	if f.prefix != "" {
		q.Set("prefix", f.prefix)
	}
	if f.limit != 0 {
		q.Set("limit", strconv.Itoa(int(f.limit)))
	}
	if f.after != "" {
		q.Set("after", f.after)
	}
	return listing[listedUser]{
		fetch: func(ctx context.Context, next string) (page[listedUser], error) {
			if next != "" {
				q.Set("after", next)
			}
			var p struct {
				Users     []json.RawMessage `json:"users"`
				NextAfter string            `json:"next_after"`
			}
			raw, err := c.api.call(ctx, apiRequest{method: "GET", path: apiPath("tenants", f.tenant.id, "users"), query: q}, &p)
			if err != nil {
				return page[listedUser]{}, err
			}
			out := page[listedUser]{raw: raw, raws: p.Users, next: p.NextAfter, items: make([]listedUser, len(p.Users))}
			for i, r := range p.Users {
				if err := json.Unmarshal(r, &out.items[i]); err != nil {
					return page[listedUser]{}, fmt.Errorf("user %d of the answer: %w", i, err)
				}
			}
			return out, nil
		},
		key:   "users",
		table: userTable,
		more: func(next string) string {
			return fmt.Sprintf("More users: add --after %s for the next page, or --all.", shellWord(next))
		},
	}.show(ctx, c, f.all)
}

func userTable(w io.Writer, users []listedUser) error {
	rows := make([][]string, len(users))
	for i, u := range users {
		email := u.Email
		if email != "" && !u.EmailVerified {
			email += " (unverified)"
		}
		sign := "password"
		if !u.HasPassword {
			sign = "upstream"
		}
		rows[i] = []string{u.ID, u.Username, u.Name, email, sign, yesNo(u.Disabled), u.CreatedAt}
	}
	return table(w, []string{"ID", "USERNAME", "NAME", "EMAIL", "SIGNS IN WITH", "DISABLED", "CREATED"}, rows)
}

// userUpdateFlags are users update's.
type userUpdateFlags struct {
	*tenant
	fs            *flag.FlagSet
	email, name   string
	emailVerified bool
	roles         stringList
}

func newUserUpdateFlags(fs *flag.FlagSet) *userUpdateFlags {
	f := &userUpdateFlags{tenant: tenantFlag(fs), fs: fs}
	fs.StringVar(&f.email, "email", "", "the user's email address (\"\" removes it)")
	fs.BoolVar(&f.emailVerified, "email-verified", false, "the address is known to be the user's (--email-verified=false: it is not)")
	fs.StringVar(&f.name, "name", "", "the user's full name")
	fs.Var(&f.roles, "role", "a `ROLE`; repeat for more; the list replaces the old one")
	return f
}

func (f *userUpdateFlags) update(ctx context.Context, c *call) error {
	body := map[string]any{}
	set := setFlags(f.fs)
	for flagName, field := range map[string]struct {
		key   string
		value any
	}{
		"email": {"email", f.email}, "email-verified": {"email_verified", f.emailVerified},
		"name": {"name", f.name}, "role": {"roles", []string(f.roles)},
	} {
		if set[flagName] {
			body[field.key] = field.value
		}
	}
	if len(body) == 0 {
		return usagef("nothing to change: give --email, --email-verified, --name or --role")
	}
	raw, err := c.api.call(ctx, apiRequest{method: "PATCH", path: apiPath("tenants", f.tenant.id, "users", c.args[0]), body: body}, nil)
	if err != nil {
		return err
	}
	return c.show(raw, showUser(raw))
}

// unlinkFlags are users unlink's.
type unlinkFlags struct {
	*tenant
	connection string
}

func newUnlinkFlags(fs *flag.FlagSet) *unlinkFlags {
	f := &unlinkFlags{tenant: tenantFlag(fs)}
	fs.StringVar(&f.connection, "connection", "", "the `CONNECTION` whose account to unlink (required)")
	return f
}

func (f *unlinkFlags) unlink(ctx context.Context, c *call) error {
	path := apiPath("tenants", f.tenant.id, "users", c.args[0], "identities", f.connection)
	if _, err := c.api.do(ctx, apiRequest{method: "DELETE", path: path}); err != nil {
		return err
	}
	return c.done("Unlinked user %q of tenant %q from its %q account.", c.args[0], f.tenant.id, f.connection)
}

// userFlags: the password is read from a file or standard input, never
// taken as a flag's value, which the shell history and ps would show.
type userFlags struct {
	*tenant
	username, email, name, passwordFile string
	passwordStdin, emailVerified        bool
	roles                               stringList
}

func newUserFlags(fs *flag.FlagSet) *userFlags {
	f := &userFlags{tenant: tenantFlag(fs)}
	fs.StringVar(&f.username, "username", "", "the user name they sign in with: 1-64 of A-Z a-z 0-9 . _ @ + - (required)")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the password from the first line of this `FILE`")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fs.StringVar(&f.email, "email", "", "the user's email address")
	fs.BoolVar(&f.emailVerified, "email-verified", false, "the address is known to be the user's: ID tokens say so, and upstream sign-ins may link by it")
	fs.StringVar(&f.name, "name", "", "the user's full name (the name claim)")
	fs.Var(&f.roles, "role", "a `ROLE` the access tokens carry; repeat for more")
	return f
}

// password reads the password: the first line of the file or of standard
// input, without its line ending. Spaces are part of it.
func (f *userFlags) password(c *call) (string, error) {
	return readSecret(c, "password", f.passwordFile, f.passwordStdin)
}

// readSecret reads a secret given as --NAME-file PATH or --NAME-stdin
// (never as a flag's value): the first line, without its line ending.
func readSecret(c *call, name, file string, stdin bool) (string, error) {
	var b []byte
	var err error
	switch {
	case file != "" && stdin:
		return "", usagef("--%s-file and --%s-stdin: give one", name, name)
	case file != "":
		if b, err = os.ReadFile(file); err != nil {
			return "", usagef("--%s-file: %v", name, err)
		}
	case stdin:
		if b, err = io.ReadAll(io.LimitReader(c.sys.stdin, 64<<10)); err != nil {
			return "", usagef("--%s-stdin: %v", name, err)
		}
	default:
		return "", usagef("give the %s with --%s-file or --%s-stdin", name, name, name)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line = strings.TrimSuffix(line, "\r"); line == "" {
		return "", usagef("the %s is empty", name)
	}
	return line, nil
}

func (f *userFlags) create(ctx context.Context, c *call) error {
	pw, err := f.password(c)
	if err != nil {
		return err
	}
	body := map[string]any{"username": f.username, "password": pw}
	if f.email != "" {
		body["email"] = f.email
	}
	if f.emailVerified {
		body["email_verified"] = true
	}
	if f.name != "" {
		body["name"] = f.name
	}
	if len(f.roles) > 0 {
		body["roles"] = []string(f.roles)
	}
	raw, err := c.api.call(ctx, apiRequest{method: "POST", path: apiPath("tenants", f.tenant.id, "users"), body: body}, nil)
	if err != nil {
		return alreadyExists(err, fmt.Sprintf("user %q in tenant %q", f.username, f.tenant.id))
	}
	return c.show(raw, showUser(raw))
}

func showUser(raw []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		return object(w, raw, []string{"id", "username", "name", "email", "email_verified", "has_password", "roles", "disabled", "identities", "created_at", "updated_at"})
	}
}

func (t *tenant) getUser(ctx context.Context, c *call) error {
	raw, err := c.api.call(ctx, apiRequest{method: "GET", path: apiPath("tenants", t.id, "users", c.args[0])}, nil)
	if err != nil {
		return err
	}
	return c.show(raw, showUser(raw))
}

func (t *tenant) deleteUser(ctx context.Context, c *call) error {
	if _, err := c.api.do(ctx, apiRequest{method: "DELETE", path: apiPath("tenants", t.id, "users", c.args[0])}); err != nil {
		return err
	}
	return c.done("Deleted user %q of tenant %q, and its grants.", c.args[0], t.id)
}

// setDisabled is `users disable` or `users enable`.
func (t *tenant) setDisabled(disabled bool) runFunc {
	verb, done := "enable", "Enabled"
	if disabled {
		verb, done = "disable", "Disabled"
	}
	return func(ctx context.Context, c *call) error {
		raw, err := c.api.call(ctx, apiRequest{method: "POST", path: apiPath("tenants", t.id, "users", c.args[0], verb)}, nil)
		if err != nil {
			return err
		}
		if disabled {
			c.note("%s user %q of tenant %q: its sessions and grants are revoked.", done, c.args[0], t.id)
		} else {
			c.note("%s user %q of tenant %q: it can sign in again.", done, c.args[0], t.id)
		}
		return c.show(raw, showUser(raw))
	}
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

func connectionsCommand() *command {
	return &command{
		name:    "connections",
		summary: "add, list, show, change and remove a tenant's upstream identity providers (sign in with OIDC, Google, GitHub)",
		usage:   "COMMAND --tenant T [flags] [CONNECTION]",
		example: "edgeauth admin connections create --tenant acme corp --kind oidc --issuer https://corp.okta.com \\\n" +
			"    --client-id 0oa1... --client-secret-stdin --create-users < corp-secret\n" +
			"edgeauth admin connections list --tenant acme",
		sub: []*command{{
			name: "create",
			summary: "add a connection; its client secret is read from a file or standard input, sealed at rest " +
				"and never shown; the answer names the redirect URI to register at the provider",
			usage: "--tenant T CONNECTION --kind oidc|google|github --client-id ID [--client-secret-file F | --client-secret-stdin] " +
				"[--issuer URL] [--name NAME] [--scope S]... [--create-users] [--store-tokens]",
			example: "edgeauth admin connections create --tenant acme google --kind google --client-id 1234.apps.googleusercontent.com \\\n" +
				"    --client-secret-file google-secret --create-users\n" +
				"edgeauth admin connections create --tenant acme github --kind github --client-id Iv1.abc --client-secret-stdin < gh-secret",
			args:  1,
			need:  []string{"tenant", "kind", "client-id"},
			flags: func(fs *flag.FlagSet) runFunc { return newConnectionFlags(fs, true).create },
		}, {
			name:    "list",
			summary: "list a tenant's connections",
			usage:   "--tenant T",
			example: "edgeauth admin connections list --tenant acme",
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).listConnections },
		}, {
			name:    "get",
			summary: "show a connection (never its client secret, only whether one is set)",
			usage:   "--tenant T CONNECTION",
			example: "edgeauth admin connections get --tenant acme corp",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).getConnection },
		}, {
			name: "update",
			summary: "change a connection; what is not given keeps its value, scopes given replace the old ones, " +
				"a client secret given replaces the old one",
			usage:   "--tenant T CONNECTION [--name NAME] [--client-id ID] [--client-secret-file F | --client-secret-stdin] [--scope S]... [--create-users[=false]] [--store-tokens[=false]]",
			example: "edgeauth admin connections update --tenant acme corp --client-secret-stdin < new-secret",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return newConnectionFlags(fs, false).update },
		}, {
			name:    "delete",
			summary: "remove a connection and unlink every account of it (the users stay); sign-ins through it stop at once",
			usage:   "--tenant T CONNECTION",
			example: "edgeauth admin connections delete --tenant acme corp",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).deleteConnection },
		}},
	}
}

// connectionFlags are the flags of a connection. The client secret is
// read from a file or standard input, never taken as a flag's value.
type connectionFlags struct {
	*tenant
	fs                                  *flag.FlagSet
	kind, name, issuer, clientID        string
	secretFile                          string
	secretStdin, createUsers, storeToks bool
	scopes                              stringList
}

// newConnectionFlags declares them; --kind and --issuer only for create
// (a connection's kind and issuer cannot change).
func newConnectionFlags(fs *flag.FlagSet, create bool) *connectionFlags {
	f := &connectionFlags{tenant: tenantFlag(fs), fs: fs}
	if create {
		fs.StringVar(&f.kind, "kind", "", "the provider: `oidc` (any OpenID Connect provider), google or github (required)")
		fs.StringVar(&f.issuer, "issuer", "", "oidc: the issuer `URL` (its discovery document is under it); github: a GitHub Enterprise Server's URL; google: none")
	}
	fs.StringVar(&f.name, "name", "", "what the sign-in page's button says after \"Continue with\" (default: Google, GitHub, or the id)")
	fs.StringVar(&f.clientID, "client-id", "", "the client id edgeauth has at the provider")
	fs.StringVar(&f.secretFile, "client-secret-file", "", "read the client secret from the first line of this `FILE`")
	fs.BoolVar(&f.secretStdin, "client-secret-stdin", false, "read the client secret from the first line of standard input")
	fs.Var(&f.scopes, "scope", "a `SCOPE` to ask of the provider; repeat for more (default: openid email profile; GitHub: read:user user:email)")
	fs.BoolVar(&f.createUsers, "create-users", false, "a first sign-in of an unknown account creates a user")
	fs.BoolVar(&f.storeToks, "store-tokens", false, "keep the provider's tokens, sealed, until they expire")
	return f
}

// body is the request from the flags given.
func (f *connectionFlags) body(c *call) (map[string]any, error) {
	body := map[string]any{}
	set := setFlags(f.fs)
	for flagName, field := range map[string]struct {
		key   string
		value any
	}{
		"kind":         {"kind", f.kind},
		"name":         {"name", f.name},
		"issuer":       {"issuer", f.issuer},
		"client-id":    {"client_id", f.clientID},
		"scope":        {"scopes", []string(f.scopes)},
		"create-users": {"create_users", f.createUsers},
		"store-tokens": {"store_tokens", f.storeToks},
	} {
		if set[flagName] {
			body[field.key] = field.value
		}
	}
	if f.secretFile != "" || f.secretStdin {
		s, err := readSecret(c, "client-secret", f.secretFile, f.secretStdin)
		if err != nil {
			return nil, err
		}
		body["client_secret"] = s
	}
	if v, ok := body["issuer"].(string); ok && v != "" && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		return nil, usagef("--issuer %q: an issuer is an https URL", v)
	}
	return body, nil
}

func (f *connectionFlags) create(ctx context.Context, c *call) error {
	body, err := f.body(c)
	if err != nil {
		return err
	}
	body["id"] = c.args[0]
	raw, err := c.api.call(ctx, apiRequest{method: "POST", path: apiPath("tenants", f.tenant.id, "connections"), body: body}, nil)
	if err != nil {
		return alreadyExists(err, fmt.Sprintf("connection %q in tenant %q", c.args[0], f.tenant.id))
	}
	if err := c.show(raw, showConnection(raw)); err != nil {
		return err
	}
	c.note("Register the redirect_uri above as the callback of edgeauth's client at the provider.")
	return nil
}

func (f *connectionFlags) update(ctx context.Context, c *call) error {
	body, err := f.body(c)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return usagef("nothing to change: give a flag (see --help)")
	}
	raw, err := c.api.call(ctx, apiRequest{method: "PATCH", path: apiPath("tenants", f.tenant.id, "connections", c.args[0]), body: body}, nil)
	if err != nil {
		return err
	}
	return c.show(raw, showConnection(raw))
}

// connectionFields is the order of a connection's fields in a table.
var connectionFields = []string{"id", "kind", "name", "issuer", "client_id", "client_secret_set", "scopes", "create_users",
	"store_tokens", "redirect_uri", "created_at", "updated_at"}

func showConnection(raw []byte) func(io.Writer) error {
	return func(w io.Writer) error { return object(w, raw, connectionFields) }
}

func (t *tenant) getConnection(ctx context.Context, c *call) error {
	raw, err := c.api.call(ctx, apiRequest{method: "GET", path: apiPath("tenants", t.id, "connections", c.args[0])}, nil)
	if err != nil {
		return err
	}
	return c.show(raw, showConnection(raw))
}

// connectionInfo is what the list shows of a connection.
type connectionInfo struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Issuer      string `json:"issuer"`
	ClientID    string `json:"client_id"`
	CreateUsers bool   `json:"create_users"`
}

func (t *tenant) listConnections(ctx context.Context, c *call) error {
	var list struct {
		Connections []connectionInfo `json:"connections"`
	}
	raw, err := c.api.call(ctx, apiRequest{method: "GET", path: apiPath("tenants", t.id, "connections")}, &list)
	if err != nil {
		return err
	}
	return c.show(raw, func(w io.Writer) error {
		rows := make([][]string, len(list.Connections))
		for i, cn := range list.Connections {
			rows[i] = []string{cn.ID, cn.Kind, cn.Name, cn.Issuer, cn.ClientID, yesNo(cn.CreateUsers)}
		}
		return table(w, []string{"ID", "KIND", "NAME", "ISSUER", "CLIENT ID", "CREATES USERS"}, rows)
	})
}

func (t *tenant) deleteConnection(ctx context.Context, c *call) error {
	if _, err := c.api.do(ctx, apiRequest{method: "DELETE", path: apiPath("tenants", t.id, "connections", c.args[0])}); err != nil {
		return err
	}
	return c.done("Deleted connection %q of tenant %q; its accounts are unlinked.", c.args[0], t.id)
}

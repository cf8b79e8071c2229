package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/edgeauth/edgeauth/internal/syntax"
)

func clientsCommand() *command {
	return &command{
		name:    "clients",
		summary: "register, list, show, change and delete a tenant's OAuth clients",
		usage:   "COMMAND --tenant T [flags] [CLIENT_ID]",
		example: "edgeauth admin clients create --tenant acme --name \"Acme web\" --redirect-uri https://app.acme.example/callback\n" +
			"edgeauth admin clients list --tenant acme",
		sub: []*command{{
			name:    "create",
			summary: "register a client; a confidential client's secret is printed once",
			usage:   "--tenant T [--id ID] [--name NAME] [--redirect-uri URI]... [--grant-type G]... [--public | --auth-method M] [--scope S] [--first-party] [--json FILE|-]",
			example: "edgeauth admin clients create --tenant acme --name \"Acme web\" \\\n" +
				"    --redirect-uri https://app.acme.example/callback \\\n" +
				"    --grant-type authorization_code --grant-type refresh_token --scope \"openid profile read\"\n" +
				"edgeauth admin clients create --tenant acme --id cli --public --first-party --redirect-uri http://127.0.0.1:8400/cb",
			need:  []string{"tenant"},
			flags: func(fs *flag.FlagSet) runFunc { return newClientFlags(fs, true).create },
		}, {
			name:    "list",
			summary: "list a tenant's clients",
			usage:   "--tenant T",
			example: "edgeauth admin clients list --tenant acme",
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).listClients },
		}, {
			name:    "get",
			summary: "show a client's metadata (never its secret)",
			usage:   "--tenant T CLIENT_ID",
			example: "edgeauth admin clients get --tenant acme web",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).getClient },
		}, {
			name:    "update",
			summary: "change a client's metadata; what is not given keeps its value, a list given replaces the old one",
			usage:   "--tenant T CLIENT_ID [--name NAME] [--redirect-uri URI]... [--grant-type G]... [--auth-method M] [--scope S] [--first-party[=false]] [--json FILE|-]",
			example: "edgeauth admin clients update --tenant acme web --redirect-uri https://app.acme.example/callback --redirect-uri https://app.acme.example/cb2",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return newClientFlags(fs, false).update },
		}, {
			name:    "delete",
			summary: "delete a client and what was granted to it",
			usage:   "--tenant T CLIENT_ID",
			example: "edgeauth admin clients delete --tenant acme web",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).deleteClient },
		}, {
			name:    "rotate-secret",
			summary: "give a confidential client a new secret, printed once; the old one stops working at once",
			usage:   "--tenant T CLIENT_ID",
			example: "edgeauth admin clients rotate-secret --tenant acme web",
			args:    1,
			need:    []string{"tenant"},
			flags:   func(fs *flag.FlagSet) runFunc { return tenantFlag(fs).rotateSecret },
		}},
	}
}

// tenant is the --tenant flag of the commands under a tenant.
type tenant struct{ id string }

func tenantFlag(fs *flag.FlagSet) *tenant {
	t := &tenant{}
	fs.StringVar(&t.id, "tenant", "", "the tenant `ID` (required)")
	return t
}

// clientFlags are the flags of client metadata (RFC 7591 §2).
type clientFlags struct {
	*tenant
	fs                                      *flag.FlagSet
	clientID, name, authMethod, scope, json string
	logoURI, policyURI, tosURI              string
	redirectURIs, grantTypes, audience      stringList
	postLogoutURIs                          stringList
	exchangeAudiences                       stringList
	public, firstParty                      bool
	accessTTL                               seconds
}

// newClientFlags declares them; --id and --public only for create (a
// client cannot change its id, nor switch between public and
// confidential).
func newClientFlags(fs *flag.FlagSet, create bool) *clientFlags {
	f := &clientFlags{tenant: tenantFlag(fs), fs: fs}
	if create {
		fs.StringVar(&f.clientID, "id", "", "the client_id (default: a random one): 1-128 of A-Z a-z 0-9 . _ ~ -")
		fs.BoolVar(&f.public, "public", false, "a public client (native app, SPA): no secret, PKCE only; the same as --auth-method none")
	}
	fs.StringVar(&f.name, "name", "", "client_name, shown on the consent page")
	fs.Var(&f.redirectURIs, "redirect-uri", "a redirect `URI`: https, http on loopback, or a private-use scheme; no fragment; repeat for more")
	fs.Var(&f.postLogoutURIs, "post-logout-redirect-uri", "where the logout endpoint may send the browser back to (`URI`), the same rules as --redirect-uri; repeat for more")
	fs.Var(&f.grantTypes, "grant-type", "a grant `TYPE`: authorization_code (the default), refresh_token, client_credentials,\n"+
		"urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:token-exchange; repeat for more")
	fs.StringVar(&f.authMethod, "auth-method", "", "token_endpoint_auth_method: client_secret_basic (the default), client_secret_post or none")
	fs.StringVar(&f.scope, "scope", "", "the most the client may ask for, space-separated, e.g. \"openid profile read\"")
	fs.BoolVar(&f.firstParty, "first-party", false, "a first-party client: the consent page is skipped")
	fs.Var(&f.accessTTL, "access-token-ttl", "this client's access-token lifetime, a `DURATION` (10m) or seconds (default: the tenant's)")
	fs.Var(&f.audience, "introspection-audience", "an `AUDIENCE` whose access tokens this client may introspect; repeat for more")
	fs.Var(&f.exchangeAudiences, "token-exchange-audience", "an `AUDIENCE` this client may exchange access tokens for (RFC 8693); repeat for more")
	fs.StringVar(&f.logoURI, "logo-uri", "", "the client's logo, shown on the consent page when https (\"\" removes it)")
	fs.StringVar(&f.policyURI, "policy-uri", "", "the client's privacy policy, linked from the consent page when https")
	fs.StringVar(&f.tosURI, "tos-uri", "", "the client's terms of service, linked from the consent page when https")
	fs.StringVar(&f.json, "json", "", "read client metadata from this JSON `FILE` (- for standard input); the flags given override its fields")
	return f
}

// body is the client metadata: --json's object, then the flags given.
// Redirect URIs are checked here, as the server checks them.
func (f *clientFlags) body(c *call) (map[string]any, error) {
	body := map[string]any{}
	if f.json != "" {
		var err error
		if body, err = c.readJSONObject(f.json); err != nil {
			return nil, err
		}
	}
	set := setFlags(f.fs)
	if set["public"] && f.public {
		if set["auth-method"] && f.authMethod != "none" {
			return nil, usagef("--public and --auth-method %s: a public client's method is none", f.authMethod)
		}
		f.authMethod, set["auth-method"] = "none", true
	}
	for flagName, field := range map[string]struct {
		key   string
		value any
	}{
		"id":                       {"client_id", f.clientID},
		"name":                     {"client_name", f.name},
		"redirect-uri":             {"redirect_uris", []string(f.redirectURIs)},
		"grant-type":               {"grant_types", []string(f.grantTypes)},
		"auth-method":              {"token_endpoint_auth_method", f.authMethod},
		"scope":                    {"scope", f.scope},
		"first-party":              {"first_party", f.firstParty},
		"access-token-ttl":         {"access_token_ttl", f.accessTTL.n},
		"introspection-audience":   {"introspection_audiences", []string(f.audience)},
		"post-logout-redirect-uri": {"post_logout_redirect_uris", []string(f.postLogoutURIs)},
		"token-exchange-audience":  {"token_exchange_audiences", []string(f.exchangeAudiences)},
		"logo-uri":                 {"logo_uri", f.logoURI},
		"policy-uri":               {"policy_uri", f.policyURI},
		"tos-uri":                  {"tos_uri", f.tosURI},
	} {
		if set[flagName] {
			body[field.key] = field.value
		}
	}
	if err := checkRedirectURIs(body["redirect_uris"]); err != nil {
		return nil, err
	}
	return body, checkRedirectURIs(body["post_logout_redirect_uris"])
}

// checkRedirectURIs applies the server's own check (internal/syntax) to
// the redirect URIs before anything is sent, so that the common mistake
// of a fragment is said plainly.
func checkRedirectURIs(v any) error {
	var uris []string
	switch v := v.(type) {
	case []string:
		uris = v
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				uris = append(uris, s)
			}
		}
	}
	for _, u := range uris {
		if strings.Contains(u, "#") {
			// RFC 6749 §3.1.2: the redirection endpoint URI MUST NOT include a fragment component.
			return usagef("redirect URI %q: a redirect URI must not contain a fragment (RFC 6749 §3.1.2)", u)
		}
		if err := syntax.CheckRedirectURI(u); err != nil {
			return usagef("redirect URI %q: %v", u, err)
		}
	}
	return nil
}

func (f *clientFlags) create(ctx context.Context, c *call) error {
	body, err := f.body(c)
	if err != nil {
		return err
	}
	raw, err := c.api.call(ctx, apiRequest{method: "POST", path: apiPath("tenants", f.tenant.id, "clients"), body: body}, nil)
	if err != nil {
		return alreadyExists(err, fmt.Sprintf("client %q in tenant %q", fmt.Sprint(body["client_id"]), f.tenant.id))
	}
	return showClientWithSecret(c, raw)
}

func (f *clientFlags) update(ctx context.Context, c *call) error {
	body, err := f.body(c)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return usagef("nothing to change: give a metadata flag or --json (see --help)")
	}
	raw, err := c.api.call(ctx, apiRequest{method: "PATCH", path: apiPath("tenants", f.tenant.id, "clients", c.args[0]), body: body}, nil)
	if err != nil {
		return err
	}
	return c.show(raw, showClient(raw))
}

// clientFields is the order of a client's fields in a table.
var clientFields = []string{"client_id", "client_name", "token_endpoint_auth_method", "redirect_uris", "grant_types",
	"response_types", "scope", "first_party", "dynamically_registered", "access_token_ttl", "introspection_audiences",
	"token_exchange_audiences", "logo_uri", "policy_uri", "tos_uri", "client_id_issued_at", "updated_at", "client_secret_expires_at", "client_secret"}

func showClient(raw []byte) func(io.Writer) error {
	return func(w io.Writer) error { return object(w, raw, clientFields) }
}

// showClientWithSecret shows an answer that may hold a new secret, and
// says that it will not be shown again.
func showClientWithSecret(c *call, raw []byte) error {
	if err := c.show(raw, showClient(raw)); err != nil {
		return err
	}
	var v struct {
		Secret string `json:"client_secret"`
	}
	if json.Unmarshal(raw, &v) == nil && v.Secret != "" {
		c.note(secretNote, "client_secret")
	}
	return nil
}

func (t *tenant) getClient(ctx context.Context, c *call) error {
	raw, err := c.api.call(ctx, apiRequest{method: "GET", path: apiPath("tenants", t.id, "clients", c.args[0])}, nil)
	if err != nil {
		return err
	}
	return c.show(raw, showClient(raw))
}

// clientInfo is what the list shows of a client.
type clientInfo struct {
	ID           string   `json:"client_id"`
	Name         string   `json:"client_name"`
	AuthMethod   string   `json:"token_endpoint_auth_method"`
	GrantTypes   []string `json:"grant_types"`
	RedirectURIs []string `json:"redirect_uris"`
	FirstParty   bool     `json:"first_party"`
	Dynamic      bool     `json:"dynamically_registered"`
}

func (t *tenant) listClients(ctx context.Context, c *call) error {
	var list struct {
		Clients []clientInfo `json:"clients"`
	}
	raw, err := c.api.call(ctx, apiRequest{method: "GET", path: apiPath("tenants", t.id, "clients")}, &list)
	if err != nil {
		return err
	}
	return c.show(raw, func(w io.Writer) error {
		rows := make([][]string, len(list.Clients))
		for i, cl := range list.Clients {
			uris := ""
			if n := len(cl.RedirectURIs); n > 0 {
				uris = cl.RedirectURIs[0]
				if n > 1 {
					uris += fmt.Sprintf(" (+%d)", n-1)
				}
			}
			origin := "admin"
			if cl.Dynamic {
				origin = "registered"
			}
			rows[i] = []string{cl.ID, cl.Name, cl.AuthMethod, strings.Join(cl.GrantTypes, ","), uris, yesNo(cl.FirstParty), origin}
		}
		return table(w, []string{"CLIENT ID", "NAME", "AUTH METHOD", "GRANT TYPES", "REDIRECT URIS", "FIRST PARTY", "CREATED BY"}, rows)
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (t *tenant) deleteClient(ctx context.Context, c *call) error {
	if _, err := c.api.do(ctx, apiRequest{method: "DELETE", path: apiPath("tenants", t.id, "clients", c.args[0])}); err != nil {
		return err
	}
	return c.done("Deleted client %q of tenant %q, and its grants.", c.args[0], t.id)
}

func (t *tenant) rotateSecret(ctx context.Context, c *call) error {
	raw, err := c.api.call(ctx, apiRequest{method: "POST", path: apiPath("tenants", t.id, "clients", c.args[0], "secret")}, nil)
	if err != nil {
		return err
	}
	if err := showClientWithSecret(c, raw); err != nil {
		return err
	}
	c.note("The old secret no longer works.")
	return nil
}

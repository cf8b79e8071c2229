package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

func tenantsCommand() *command {
	return &command{
		name:    "tenants",
		summary: "create, show, change and delete tenants",
		usage:   "COMMAND [flags] TENANT",
		example: "edgeauth admin tenants create acme --name Acme --access-token-ttl 10m\n" +
			"edgeauth admin tenants update acme --registration token",
		sub: []*command{{
			name:    "create",
			summary: "create a tenant and its first signing keys",
			usage:   "TENANT [--name NAME] [setting flags] [--json FILE|-]",
			example: "edgeauth admin tenants create acme --name Acme --access-token-ttl 10m --allowed-resource https://api.acme.example",
			args:    1,
			flags:   func(fs *flag.FlagSet) runFunc { return newTenantFlags(fs).create },
		}, {
			name:    "get",
			summary: "show a tenant: its issuer and settings",
			usage:   "TENANT",
			example: "edgeauth admin tenants get acme",
			args:    1,
			flags:   func(*flag.FlagSet) runFunc { return getTenant },
		}, {
			name:    "update",
			summary: "change a tenant's name or settings; the settings not given keep their values",
			usage:   "TENANT [--name NAME] [setting flags] [--json FILE|-]",
			example: "edgeauth admin tenants update acme --registration token --signing-alg EdDSA",
			args:    1,
			flags:   func(fs *flag.FlagSet) runFunc { return newTenantFlags(fs).update },
		}, {
			name:    "delete",
			summary: "delete a tenant and everything it owns: clients, users, keys, grants and its audit events",
			usage:   "TENANT",
			example: "edgeauth admin tenants delete acme",
			args:    1,
			flags:   func(*flag.FlagSet) runFunc { return deleteTenant },
		}},
	}
}

// tenantFlags are the flags of a tenant's name and settings.
type tenantFlags struct {
	fs                                         *flag.FlagSet
	name, registration, audience, alg, selfReg string
	passwordLogin, linkIdentities              string
	jsonFile                                   string
	accessTTL, refreshTTL, rotation, session   seconds
	deviceTTL, deviceInterval                  seconds
	resources, scopeDescriptions               stringList
	cimd                                       bool
}

func newTenantFlags(fs *flag.FlagSet) *tenantFlags {
	f := &tenantFlags{fs: fs}
	fs.StringVar(&f.name, "name", "", "the tenant's display name (default: its id)")
	fs.Var(&f.accessTTL, "access-token-ttl", "access-token lifetime, a `DURATION` (10m) or seconds, 1m to 24h")
	fs.Var(&f.refreshTTL, "refresh-token-ttl", "refresh-grant lifetime, a `DURATION` (720h) or seconds, 5m to a year")
	fs.Var(&f.session, "session-ttl", "browser-session lifetime from sign-in, a `DURATION` (12h) or seconds, 5m to 30 days")
	fs.StringVar(&f.registration, "registration", "", "dynamic client registration: `off`, token (with an initial access token) or open")
	fs.Var(&f.resources, "allowed-resource", "a resource indicator the tenant serves (`URI`); repeat for more; the list replaces the old one")
	fs.StringVar(&f.audience, "default-audience", "", "aud of tokens asked for without a resource (default: the issuer)")
	fs.Var(&f.rotation, "rotation-period", "how long a signing key signs, a `DURATION` (720h) or seconds, 1h to a year")
	fs.StringVar(&f.alg, "signing-alg", "", "access-token algorithm: `ES256`, EdDSA or RS256")
	fs.BoolVar(&f.cimd, "client-id-metadata-documents", false, "accept https URLs as client_id (--client-id-metadata-documents=false turns it off)")
	fs.StringVar(&f.selfReg, "self-registered-scope", "", "the scope of self-registered clients that state none, and the most they may state")
	fs.Var(&f.deviceTTL, "device-code-ttl", "how long a device authorization request waits for the user, a `DURATION` (10m) or seconds, 1m to 1h")
	fs.Var(&f.deviceInterval, "device-poll-interval", "the polling interval a device is told, a `DURATION` (5s) or seconds, 1s to 1m")
	fs.Var(&f.scopeDescriptions, "scope-description", "`SCOPE=TEXT`: what a scope allows, for the consent page; repeat for more; the list replaces the old one")
	fs.StringVar(&f.passwordLogin, "password-login", "", "the password form on the sign-in page: `on` (the default) or off (upstream connections only)")
	fs.StringVar(&f.linkIdentities, "link-identities", "", "how a first upstream sign-in may attach to an existing user: `off` (the default) or verified_email")
	fs.StringVar(&f.jsonFile, "json", "", "read the request body (id, name, settings) from this JSON `FILE` (- for standard input); the flags given override its fields")
	return f
}

// body is the request: --json's object, then the flags given.
func (f *tenantFlags) body(c *call) (map[string]any, error) {
	body := map[string]any{}
	if f.jsonFile != "" {
		var err error
		if body, err = c.readJSONObject(f.jsonFile); err != nil {
			return nil, err
		}
	}
	settings := map[string]any{}
	if v, ok := body["settings"]; ok {
		if settings, ok = v.(map[string]any); !ok {
			return nil, usagef("--json %s: settings must be an object", f.jsonFile)
		}
	}
	set := setFlags(f.fs)
	for flagName, setting := range map[string]struct {
		key   string
		value any
	}{
		"access-token-ttl":             {"access_token_ttl", f.accessTTL.n},
		"refresh-token-ttl":            {"refresh_token_ttl", f.refreshTTL.n},
		"session-ttl":                  {"session_ttl", f.session.n},
		"registration":                 {"registration", f.registration},
		"allowed-resource":             {"allowed_resources", []string(f.resources)},
		"default-audience":             {"default_audience", f.audience},
		"rotation-period":              {"rotation_period", f.rotation.n},
		"signing-alg":                  {"signing_alg", f.alg},
		"client-id-metadata-documents": {"client_id_metadata_documents", f.cimd},
		"self-registered-scope":        {"self_registered_scope", f.selfReg},
		"device-code-ttl":              {"device_code_ttl", f.deviceTTL.n},
		"device-poll-interval":         {"device_poll_interval", f.deviceInterval.n},
		"password-login":               {"password_login", f.passwordLogin},
		"link-identities":              {"link_identities", f.linkIdentities},
	} {
		if set[flagName] {
			settings[setting.key] = setting.value
		}
	}
	if set["scope-description"] {
		descriptions := map[string]string{}
		for _, d := range f.scopeDescriptions {
			scope, text, ok := strings.Cut(d, "=")
			if !ok || scope == "" {
				return nil, usagef("--scope-description %q: want SCOPE=TEXT", d)
			}
			descriptions[scope] = text
		}
		settings["scope_descriptions"] = descriptions
	}
	if len(settings) > 0 {
		body["settings"] = settings
	}
	if set["name"] {
		body["name"] = f.name
	}
	return body, nil
}

func (f *tenantFlags) create(ctx context.Context, c *call) error {
	id := c.args[0]
	body, err := f.body(c)
	if err != nil {
		return err
	}
	if v, ok := body["id"]; ok && v != id {
		return usagef("--json %s has id %v, the command line %q", f.jsonFile, v, id)
	}
	body["id"] = id
	raw, err := c.api.call(ctx, apiRequest{method: "POST", path: apiPath("tenants"), body: body}, nil)
	if err != nil {
		return alreadyExists(err, fmt.Sprintf("tenant %q", id))
	}
	return c.show(raw, showTenant(raw))
}

func (f *tenantFlags) update(ctx context.Context, c *call) error {
	body, err := f.body(c)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return usagef("nothing to change: give --name, a setting flag or --json (see --help)")
	}
	raw, err := c.api.call(ctx, apiRequest{method: "PATCH", path: apiPath("tenants", c.args[0]), body: body}, nil)
	if err != nil {
		return err
	}
	return c.show(raw, showTenant(raw))
}

func getTenant(ctx context.Context, c *call) error {
	raw, err := c.api.call(ctx, apiRequest{method: "GET", path: apiPath("tenants", c.args[0])}, nil)
	if err != nil {
		return err
	}
	return c.show(raw, showTenant(raw))
}

func showTenant(raw []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		return object(w, raw, []string{"id", "name", "issuer", "created_at", "updated_at", "settings"})
	}
}

func deleteTenant(ctx context.Context, c *call) error {
	if _, err := c.api.do(ctx, apiRequest{method: "DELETE", path: apiPath("tenants", c.args[0])}); err != nil {
		return err
	}
	return c.done("Deleted tenant %q and everything it owned.", c.args[0])
}

// seconds is a flag of a duration the API takes in whole seconds: "600"
// or "10m".
type seconds struct{ n int64 }

func (s *seconds) String() string {
	if s == nil || s.n == 0 {
		return ""
	}
	return strconv.FormatInt(s.n, 10)
}

func (s *seconds) Set(v string) error {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		s.n = n
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d%time.Second != 0 {
		return fmt.Errorf("want whole seconds or a duration such as 10m or 720h")
	}
	s.n = int64(d / time.Second)
	return nil
}
